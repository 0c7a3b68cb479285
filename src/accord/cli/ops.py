"""``accord backup create|verify|restore``: snapshots of a serving node, checked by hashes.

These commands work on the data dir and database of this machine (they are the operator's, not
the API's). The passphrase that seals the node's keys comes from ``ACCORD_BACKUP_PASSPHRASE`` or
a prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.state import CliState, state_of
from accord.clock import SystemClock
from accord.errors import InvalidInput
from accord.ops.backup import BackupSummary, create_backup, restore_backup, verify_backup

backups = typer.Typer(help="Back up, verify and restore the node", no_args_is_help=True)

Dest = Annotated[Path, typer.Argument(help="The backup folder")]
Passphrase = Annotated[
    str,
    typer.Option(
        envvar="ACCORD_BACKUP_PASSPHRASE",
        prompt=True,
        hide_input=True,
        help="Passphrase that seals the node's keys in the backup",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(backups, name="backup")


@backups.command("create")
def backup_create(ctx: typer.Context, dest: Dest, passphrase: Passphrase) -> None:
    """Snapshot the database, blobs and sealed keys into DEST while the node keeps serving."""
    state = state_of(ctx)
    _local_only(state)
    summary = create_backup(state.settings, dest, passphrase, SystemClock().now())
    _emit(state, summary, "Backed up")


@backups.command("verify")
def backup_verify(
    ctx: typer.Context,
    dest: Dest,
    passphrase: Annotated[
        str | None,
        typer.Option(
            envvar="ACCORD_BACKUP_PASSPHRASE", help="Also check that this passphrase opens the keys"
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="The node key fingerprint (SHA256:…) that must have signed"),
    ] = None,
) -> None:
    """Check the manifest's signature and every file of DEST against it; exit 3 on any
    mismatch."""
    state = state_of(ctx)
    _emit(state, verify_backup(dest, passphrase, key), "Verified")


@backups.command("restore")
def backup_restore(ctx: typer.Context, dest: Dest, passphrase: Passphrase) -> None:
    """Restore DEST into an empty data dir (and empty database); then run `accord verify`."""
    state = state_of(ctx)
    _local_only(state)
    summary = restore_backup(state.settings, dest, passphrase)
    _emit(state, summary, f"Restored into {state.settings.data_dir}:")


def _emit(state: CliState, summary: BackupSummary, verb: str) -> None:
    state.emit(
        summary.as_json(),
        f"{verb} backup {summary.path} of node {summary.node_id} taken {summary.created_at}: "
        f"{summary.dialect} database, {summary.blobs} blob(s), {summary.bytes} bytes; "
        f"signed by {summary.key_fingerprint}",
    )


def _local_only(state: CliState) -> None:
    if state.url:
        raise InvalidInput(
            "backups are made on the node's own machine",
            code="backup.local-only",
            hint="run the command on the node without --url",
        )

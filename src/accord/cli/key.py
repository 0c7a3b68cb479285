"""``accord key rotate|list``: the node's signing keys (decision 1310).

Rotation works on this machine's data dir (it writes the new key file), like ``accord init``.
"""

from __future__ import annotations

import typer

from accord.cli.state import state_of
from accord.errors import InvalidInput
from accord.identity.principal import local_operator
from accord.ledger import rotation

keys = typer.Typer(help="The node's signing keys", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys, name="key")


@keys.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Create a new Ed25519 key; the old key signs its rotation and retires."""
    state = state_of(ctx)
    if state.url:
        raise InvalidInput(
            "key rotation works on this node's data dir, not over --url",
            code="key.local-only",
            hint="run the command on the node's machine, with --data-dir",
        )
    done = rotation.rotate(state.node, local_operator())
    result = {
        "old_key": done.old.fingerprint,
        "new_key": done.new.fingerprint,
        "rotation_seq": done.seq,
        "old_key_signs_until_size": done.old.until_size,
        "new_key_signs_from_size": done.new.from_size,
    }
    state.emit(
        result,
        f"Rotated the node key: {done.old.fingerprint} → {done.new.fingerprint}\n"
        f"The rotation is log entry {done.seq}; the old key signed its last checkpoint "
        f"({done.old.until_size} entries). Peers pick up the new key from the descriptor.",
    )


@keys.command("list")
def list_keys(ctx: typer.Context) -> None:
    """The node's current and past keys with their validity."""
    state = state_of(ctx)
    with state.node.session(readonly=True) as session:
        history = rotation.keyring(session).as_json()
    lines = [
        f"{k['fingerprint']}  from {k['valid_from'] or 'the start'}"
        f" until {k['valid_until'] or 'now (current)'}"
        f"  checkpoints {k['from_size']}–{k['until_size'] if k['until_size'] is not None else ''}"
        for k in history
    ]
    state.emit(history, "\n".join(lines))

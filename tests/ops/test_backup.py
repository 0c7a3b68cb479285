"""Backups: taken while writes continue, verified by their manifest, restored into an empty data
dir where `accord verify` and `accord log verify` pass and the log continues from the same tree."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from accord.cli.main import app
from accord.config import Settings
from accord.errors import AccordError, Conflict, VerificationFailed
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger import service as ledger
from accord.node import NodeContext, read_identity, write_identity
from accord.ops.backup import create_backup, restore_backup, verify_backup
from accord.ops.sealing import seal, unseal
from accord.storage.blobs import blob_store_of
from tests.catalog.conftest import Catalog
from tests.conftest import START, MakeAccount

PASSPHRASE = "correct horse battery staple"


@dataclass
class Writer:
    """Creates organisations, one committed transaction each, until stopped."""

    node: NodeContext
    committed: list[str]
    started: threading.Event
    stop: threading.Event

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            with self.node.session() as session:
                org = service.create_organisation(
                    session,
                    local_operator(),
                    schemas.OrganisationCreate(name=f"Writer org {n}", country="CH"),
                )
                session.commit()
            self.committed.append(org.id)
            n += 1
            if n >= 3:
                self.started.set()


@pytest.fixture
def serving(
    node: NodeContext, client: TestClient, make_account: MakeAccount, make_org: Callable[..., str]
) -> NodeContext:
    """A node with its identity file and a published dataset whose files are blobs."""
    write_identity(node.settings.data_dir, node.identity)
    organisation = make_org("Data Centre", "KE")
    steward = make_account(Role.STEWARD, country="KE", organisation_id=organisation)
    catalog = Catalog(client, steward, organisation)
    catalog.published(files={"data/a.csv": b"id,value\n1,2\n", "data/b.csv": b"id\n7\n"})
    return node


@pytest.fixture
def target(tmp_path: Path, database_url: str) -> Iterator[Settings]:
    """Settings for an empty data dir and an empty database of the node's kind."""
    if database_url.startswith("sqlite"):
        yield Settings(data_dir=tmp_path / "restored")
        return
    name = f"accord_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    yield Settings(data_dir=tmp_path / "restored", database_url=url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def accord(target: Settings, *args: str) -> tuple[int, str]:
    env = {"ACCORD_BACKUP_PASSPHRASE": PASSPHRASE}
    if target.database_url:
        env["ACCORD_DATABASE_URL"] = target.database_url
    result = CliRunner().invoke(
        app, ["--data-dir", str(target.data_dir), *args], env=env, catch_exceptions=True
    )
    if isinstance(result.exception, AccordError):
        return result.exception.exit_code, str(result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_a_backup_taken_while_writing_restores_every_earlier_change(
    serving: NodeContext, target: Settings, tmp_path: Path
) -> None:
    writer = Writer(serving, [], threading.Event(), threading.Event())
    thread = threading.Thread(target=writer.run)
    thread.start()
    try:
        assert writer.started.wait(timeout=60)
        before = list(writer.committed)
        summary = create_backup(serving.settings, tmp_path / "backup", PASSPHRASE, START)
    finally:
        writer.stop.set()
        thread.join()
    assert summary.blobs == 2
    assert len(writer.committed) > len(before)

    assert accord(target, "backup", "verify", str(tmp_path / "backup"))[0] == 0
    code, output = accord(target, "backup", "restore", str(tmp_path / "backup"))
    assert code == 0, output

    identity = read_identity(target.data_dir)
    assert identity == serving.identity
    restored = NodeContext(target, identity)
    try:
        with restored.session(readonly=True) as session:
            for org_id in before:
                service.get_organisation(session, org_id)
            size = ledger.tree_size(session)
        assert restored.signing_key.public_key() == serving.signing_key.public_key()
        for sha256 in blob_store_of(serving).iter_blobs():
            assert blob_store_of(restored).exists(sha256)

        assert accord(target, "verify")[0] == 0
        assert accord(target, "log", "verify")[0] == 0
        with restored.session() as session:
            service.create_organisation(
                session, local_operator(), schemas.OrganisationCreate(name="After", country="CH")
            )
            session.commit()
        with restored.session(readonly=True) as session:
            assert ledger.tree_size(session) == size + 1
        code, output = accord(target, "log", "verify")
        assert code == 0, output
    finally:
        restored.engine.dispose()


def test_a_changed_or_extra_file_fails_verification(serving: NodeContext, tmp_path: Path) -> None:
    dest = tmp_path / "backup"
    create_backup(serving.settings, dest, PASSPHRASE, START)
    verify_backup(dest, PASSPHRASE)
    blob = next(p for p in (dest / "blobs").rglob("*") if p.is_file())
    os.chmod(blob, 0o600)
    blob.write_bytes(b"tampered")
    with pytest.raises(VerificationFailed) as failed:
        verify_backup(dest)
    assert failed.value.code == "backup.corrupt"
    assert blob.name in failed.value.message
    code, _ = accord(Settings(data_dir=tmp_path / "x"), "backup", "verify", str(dest))
    assert code == 3


def test_restore_refuses_a_wrong_passphrase_or_a_used_data_dir(
    serving: NodeContext, target: Settings, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    create_backup(serving.settings, dest, PASSPHRASE, START)
    with pytest.raises(VerificationFailed) as wrong:
        restore_backup(target, dest, "not the passphrase at all")
    assert wrong.value.code == "backup.wrong-passphrase"
    assert not target.data_dir.exists()
    with pytest.raises(Conflict) as used:
        restore_backup(serving.settings, dest, PASSPHRASE)
    assert used.value.code == "backup.data-dir-not-empty"
    with pytest.raises(Conflict) as again:
        create_backup(serving.settings, dest, PASSPHRASE, START)
    assert again.value.code == "backup.dest-not-empty"


def test_a_node_without_identity_is_not_backed_up(tmp_path: Path) -> None:
    code, message = accord(Settings(data_dir=tmp_path / "none"), "backup", "create", "x")
    assert code == 1
    assert "no node" in message


@settings(max_examples=4, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.binary(max_size=64), max_size=3))
def test_sealed_files_open_only_with_their_passphrase(files: dict[str, bytes]) -> None:
    sealed = seal(files, PASSPHRASE)
    assert unseal(sealed, PASSPHRASE) == files
    with pytest.raises(VerificationFailed):
        unseal(sealed, PASSPHRASE + "!")


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(AccordError) as weak:
        seal({}, "short")
    assert weak.value.code == "backup.weak-passphrase"

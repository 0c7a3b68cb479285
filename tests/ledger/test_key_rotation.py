"""Key rotation: checkpoints before and after a rotation verify, each with the key valid for its
size; a checkpoint signed by the retired key after its retirement is refused; the descriptor
lists current and past keys; manifests published before the rotation still verify."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.errors import Forbidden, InvalidInput
from accord.identity.permissions import Role
from accord.identity.principal import Principal, RoleGrant, local_operator
from accord.keys import NEXT_SIGNING_KEY_FILE, RETIRED_DIR, fingerprint, new_signing_key
from accord.ledger import rotation, service
from accord.ledger.audit import AuditReport, audit
from accord.ledger.checkpoint import Checkpoint, CheckpointError, sign_checkpoint
from accord.ledger.keyring import Keyring, keyring_from_json, open_checkpoint_with, verify_chain
from accord.ledger.models import LedgerCheckpoint
from accord.ledger.note import NoteError, Signer
from accord.ledger.sources import DatabaseLogSource, HttpLogSource
from accord.node import NodeContext, write_identity
from tests.ledger.test_verify import fill


def rotated(node: NodeContext) -> rotation.Rotation:
    node.settings.log_checkpoint_entries = 10
    fill(node, 25, tag="before")
    done = rotation.rotate(node, local_operator())
    fill(node, 25, tag="after")
    return done


def db_audit(node: NodeContext, keys: Keyring | None = None) -> AuditReport:
    with node.session(readonly=True) as s:
        history = keys or rotation.keyring(s)
        return audit(DatabaseLogSource(s, chunk=7), service.verifier(node), full=True, keys=history)


def test_checkpoints_before_and_after_a_rotation_verify(node: NodeContext) -> None:
    old_key = node.signing_key.public_key()
    done = rotated(node)
    now_signing = fingerprint(node.signing_key.public_key())
    assert now_signing == done.new.fingerprint != done.old.fingerprint
    assert done.old.public_key.public_bytes_raw() == old_key.public_bytes_raw()
    assert (done.seq, done.old.until_size, done.new.from_size) == (25, 26, 27)
    report = db_audit(node)
    assert report.ok, report.problems
    assert report.checkpoint is not None and (report.checkpoint.size, report.uncovered) == (46, 5)
    assert report.checkpoints_checked >= 5
    with node.session(readonly=True) as s:
        history = rotation.keyring(s)
        verify_chain(node.identity.node_id, history)
        origin = service.log_origin(node)
        for row in s.scalars(select(LedgerCheckpoint)):
            opened = open_checkpoint_with(row.note, history, origin)
            key = history.for_size(opened.size)
            assert key.fingerprint == (done.old if row.size <= 26 else done.new).fingerprint
        assert s.get(LedgerCheckpoint, 26) is not None, "the old key signs the rotation's cover"
    retired = list((node.settings.keys_dir / RETIRED_DIR).glob("*.pem"))
    assert len(retired) == 1 and oct(retired[0].stat().st_mode & 0o777) == "0o600"


def test_a_checkpoint_signed_by_the_retired_key_after_retirement_is_refused(
    node: NodeContext,
) -> None:
    done = rotated(node)
    old_signer = Signer(service.log_origin(node), node.signing_key_for(done.old.fingerprint))
    with node.session(readonly=True) as s:
        history = rotation.keyring(s)
        root = service.root_hash(s, 40)
    forged = sign_checkpoint(Checkpoint(service.log_origin(node), 40, root), old_signer)
    with pytest.raises(CheckpointError, match="rotated out"):
        open_checkpoint_with(forged, history, service.log_origin(node))
    # The same note at the newest size, put in place of the log's own checkpoint, fails the audit.
    with node.engine.begin() as conn:
        newest = conn.execute(text("SELECT MAX(size) FROM ledger_checkpoints")).scalar_one()
    with node.session(readonly=True) as s:
        root = service.root_hash(s, newest)
    forged = sign_checkpoint(Checkpoint(service.log_origin(node), newest, root), old_signer)
    with node.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_checkpoints SET note = :n WHERE size = :s"),
            {"n": forged, "s": newest},
        )
    report = db_audit(node)
    assert not report.ok
    assert "rotated out" in report.problems[0]


def test_the_old_key_alone_cannot_vouch_for_checkpoints_after_the_rotation(
    node: NodeContext,
) -> None:
    done = rotated(node)
    report = db_audit(node, Keyring.single(done.old.public_key))
    assert not report.ok
    assert "no signature by a key of this log" in report.problems[0]


def test_a_history_that_hides_the_rotation_entry_is_reported(node: NodeContext) -> None:
    done = rotated(node)
    with node.session(readonly=True) as s:
        genuine = rotation.keyring(s)
    moved = keyring_from_json(genuine.as_json())
    # A key history claiming the rotation happened one entry later than the log shows.
    items = genuine.as_json()
    items[0]["until_size"] += 1
    items[1]["from_size"] += 1
    claimed = keyring_from_json(items)
    assert moved.current.fingerprint == done.new.fingerprint
    report = db_audit(node, claimed)
    assert not report.ok
    assert any("entry 26" in p or "rotat" in p for p in report.problems), report.problems


def test_the_descriptor_lists_current_and_past_keys(node: NodeContext, client: TestClient) -> None:
    before = client.get("/.well-known/accord-node").json()
    assert [k["fingerprint"] for k in before["keys"]] == [before["public_key"]["fingerprint"]]
    assert before["keys"][0]["valid_until"] is None
    done = rotated(node)
    after = client.get("/.well-known/accord-node").json()
    assert after["public_key"]["fingerprint"] == done.new.fingerprint
    old, new = after["keys"]
    assert (old["fingerprint"], old["until_size"], old["valid_until"]) == (
        done.old.fingerprint,
        26,
        "2026-01-15T12:00:00Z",
    )
    assert (new["fingerprint"], new["from_size"], new["valid_until"]) == (
        done.new.fingerprint,
        27,
        None,
    )
    assert new["rotation"]["seq"] == 25
    verify_chain(node.identity.node_id, keyring_from_json(after["keys"]))
    assert after["log"]["verifier_key"] == service.verifier(node).vkey()
    remote = audit(
        HttpLogSource(client),
        service.verifier(node),
        keys=keyring_from_json(after["keys"]),
    )
    assert remote.ok, remote.problems
    entry = client.get("/api/v1/log/entries/25").json()["entry"]
    assert entry["type"] == "ledger.key.rotated"
    assert entry["public"]["new_key"] == done.new.fingerprint


def test_rotation_needs_the_permission(node: NodeContext) -> None:
    researcher = Principal("usr_x", "R", None, "CH", (RoleGrant(Role.RESEARCHER),), via="token")
    with pytest.raises(Forbidden):
        rotation.rotate(node, researcher)
    assert not (node.settings.keys_dir / "node_ed25519.next.pem").exists()


def test_two_rotations_chain(node: NodeContext) -> None:
    node.settings.log_checkpoint_entries = 10
    fill(node, 5)
    first = rotation.rotate(node, local_operator())
    fill(node, 5)
    second = rotation.rotate(node, local_operator())
    fill(node, 5)
    assert second.old.fingerprint == first.new.fingerprint
    report = db_audit(node)
    assert report.ok, report.problems
    with node.session(readonly=True) as s:
        assert len(rotation.keyring(s).keys) == 3


def test_accord_key_rotate_then_log_verify(node: NodeContext) -> None:
    write_identity(node.settings.data_dir, node.identity)
    fill(node, 3)
    env = {
        "ACCORD_DATA_DIR": str(node.settings.data_dir),
        "ACCORD_DATABASE_URL": node.settings.resolved_database_url,
    }
    runner = CliRunner()
    rotated_ = runner.invoke(cli, ["--json", "key", "rotate"], env=env)
    assert rotated_.exit_code == 0, rotated_.output
    assert json.loads(rotated_.stdout)["rotation_seq"] == 3
    checked = runner.invoke(cli, ["log", "verify"], env=env)
    assert checked.exit_code == 0, checked.output
    listed = runner.invoke(cli, ["key", "list"], env=env)
    assert listed.exit_code == 0 and "now (current)" in listed.stdout
    remote = runner.invoke(cli, ["--url", "http://127.0.0.1:9", "key", "rotate"], env=env)
    assert isinstance(remote.exception, InvalidInput)
    assert remote.exception.code == "key.local-only"


def test_notes_signed_by_unknown_keys_are_refused(node: NodeContext) -> None:
    history = Keyring.single(node.signing_key.public_key())
    stranger = Signer(service.log_origin(node), Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(service.log_origin(node), 1, b"\x00" * 32), stranger)
    with pytest.raises(NoteError):
        open_checkpoint_with(note, history, service.log_origin(node))


def test_a_key_left_by_a_rotation_that_never_committed_is_discarded(node: NodeContext) -> None:
    fill(node, 3)
    stray = new_signing_key(node.settings.keys_dir)
    done = rotation.rotate(node, local_operator())
    assert done.new.fingerprint != fingerprint(stray.public_key())
    assert fingerprint(node.signing_key.public_key()) == done.new.fingerprint
    assert not (node.settings.keys_dir / NEXT_SIGNING_KEY_FILE).exists()


def test_a_rotation_committed_but_not_moved_into_place_is_finished(node: NodeContext) -> None:
    fill(node, 3)
    pending = new_signing_key(node.settings.keys_dir)
    with node.session() as s:
        rotation._record(s, local_operator(), pending.public_key())
        s.commit()
    rotation._finish_interrupted(node)
    assert fingerprint(node.signing_key.public_key()) == fingerprint(pending.public_key())
    fill(node, 3)
    assert db_audit(node).ok

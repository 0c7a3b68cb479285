"""``accord log verify``: a sound log passes; an edited entry, interior hash or checkpoint row is
found (on the database and over HTTP); a rewritten history is reported as a fork."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from accord import ledger
from accord.ledger import service
from accord.ledger.audit import AuditReport, TrustedState, audit
from accord.ledger.sources import DatabaseLogSource, HttpLogSource
from accord.node import NodeContext, write_identity

ACCORD = [sys.executable, "-m", "accord"]


def fill(node: NodeContext, count: int, tag: str = "a") -> None:
    with node.session() as s:
        for i in range(count):
            ledger.append(
                s,
                ledger.Event(
                    "test.thing.happened",
                    subjects={"actor": f"usr_{i}"},
                    public={"n": i, "tag": tag},
                    record={"text": "private"},
                ),
            )
        s.commit()


def db_audit(node: NodeContext, trusted: TrustedState | None = None) -> AuditReport:
    with node.session(readonly=True) as s:
        return audit(DatabaseLogSource(s, chunk=7), service.verifier(node), trusted, full=True)


def http_audit(client: TestClient, node: NodeContext, **kwargs: object) -> AuditReport:
    return audit(HttpLogSource(client), service.verifier(node), **kwargs)  # type: ignore[arg-type]


def sql(node: NodeContext, statement: str, **params: object) -> None:
    with node.engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.fixture
def log(node: NodeContext) -> NodeContext:
    """A log of 300 entries with checkpoints every 64, all covered."""
    node.settings.log_checkpoint_entries = 64
    fill(node, 299)
    node.settings.log_checkpoint_entries = 1
    fill(node, 1, tag="last")
    return node


def test_a_sound_log_verifies(log: NodeContext, client: TestClient) -> None:
    report = db_audit(log)
    assert report.ok, report.problems
    assert report.entries_checked == 300
    assert report.checkpoints_checked == 6
    assert report.checkpoint is not None
    assert report.checkpoint.size == 300
    over_http = http_audit(client, log)
    assert over_http.ok, over_http.problems
    assert over_http.entries_checked == 300


def test_incremental_verification_from_a_trusted_checkpoint(
    log: NodeContext, client: TestClient
) -> None:
    first = http_audit(client, log)
    assert first.trusted is not None
    fill(log, 50, tag="more")
    second = http_audit(client, log, trusted=first.trusted)
    assert second.ok, second.problems
    assert (second.started_at, second.entries_checked) == (300, 50)
    assert second.trusted is not None
    assert second.trusted.size == 350


def _edit_entry(node: NodeContext) -> None:
    sql(node, "UPDATE ledger_entries SET entry = :e WHERE seq = 100", e=b'{"forged":true}')


def _edit_entry_and_leaf(node: NodeContext) -> None:
    from accord.ledger.merkle import leaf_hash

    forged = b'{"seq":100,"forged":true}'
    sql(
        node,
        "UPDATE ledger_entries SET entry = :e, leaf_hash = :h WHERE seq = 100",
        e=forged,
        h=leaf_hash(forged),
    )


def _flip_interior_hash(node: NodeContext) -> None:
    with node.engine.begin() as conn:
        nodes = conn.execute(text("SELECT nodes FROM ledger_entries WHERE seq = 255")).scalar_one()
        changed = bytes(nodes[:40]) + bytes([nodes[40] ^ 1]) + bytes(nodes[41:])
        conn.execute(text("UPDATE ledger_entries SET nodes = :n WHERE seq = 255"), {"n": changed})


def _move_interior_hash(node: NodeContext) -> None:
    """The last hash of entry 255 moved to entry 256: every hash byte is still there, in the
    same order, but two rows hold the wrong share."""
    with node.engine.begin() as conn:
        nodes = conn.execute(text("SELECT nodes FROM ledger_entries WHERE seq = 255")).scalar_one()
        conn.execute(
            text("UPDATE ledger_entries SET nodes = :n WHERE seq = 255"), {"n": nodes[:-32]}
        )
        conn.execute(
            text("UPDATE ledger_entries SET nodes = :n WHERE seq = 256"), {"n": nodes[-32:]}
        )


def _edit_checkpoint_note(node: NodeContext) -> None:
    with node.engine.begin() as conn:
        note = conn.execute(
            text("SELECT note FROM ledger_checkpoints WHERE size = 129")
        ).scalar_one()
        conn.execute(
            text("UPDATE ledger_checkpoints SET note = :n WHERE size = 129"),
            {"n": note.replace("\n129\n", "\n130\n")},
        )


def _edit_checkpoint_root(node: NodeContext) -> None:
    sql(node, "UPDATE ledger_checkpoints SET root_hash = :r WHERE size = 65", r=b"\x00" * 32)


def _delete_entry(node: NodeContext) -> None:
    sql(node, "DELETE FROM ledger_entries WHERE seq = 7")


TAMPERINGS: dict[str, tuple[Callable[[NodeContext], None], str]] = {
    "entry": (_edit_entry, "entry 100: stored leaf hash is not the hash of the entry"),
    "entry and leaf": (_edit_entry_and_leaf, "root recomputed from the first 129 entries"),
    "interior hash": (_flip_interior_hash, "entry 255: stored interior hash of level 2 is wrong"),
    "moved interior hash": (
        _move_interior_hash,
        "entry 255: stored interior hash of level 8 is wrong",
    ),
    "checkpoint note": (_edit_checkpoint_note, "checkpoint of 129 entries: signature fails"),
    "checkpoint root": (_edit_checkpoint_root, "checkpoint of 65 entries: stored root differs"),
    "deleted entry": (_delete_entry, "entry 7 is missing"),
}


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=list(TAMPERINGS))
def test_tampering_with_the_database_is_found(log: NodeContext, tampering: str) -> None:
    tamper, expected = TAMPERINGS[tampering]
    tamper(log)
    report = db_audit(log)
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems


@pytest.mark.parametrize("tampering", ["entry", "entry and leaf", "checkpoint note"])
def test_tampering_is_found_over_http(log: NodeContext, client: TestClient, tampering: str) -> None:
    TAMPERINGS[tampering][0](log)
    report = http_audit(client, log)
    assert not report.ok
    assert report.problems


def test_a_rewritten_history_is_a_fork(log: NodeContext, client: TestClient) -> None:
    trusted = http_audit(client, log).trusted
    assert trusted is not None
    for table in ("ledger_records", "ledger_checkpoints", "ledger_entries"):
        sql(log, f"DELETE FROM {table}")
    fill(log, 310, tag="rewritten")
    report = http_audit(client, log, trusted=trusted)
    assert report.fork is not None
    assert "not consistent" in report.fork.reason
    assert report.fork.trusted == trusted.note
    same_size = db_audit(log, TrustedState(**{**trusted.__dict__, "size": 310}))
    assert same_size.fork is not None


def test_a_wrong_key_fails_at_the_checkpoint(log: NodeContext, client: TestClient) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from accord.ledger.note import Signer

    other = Signer(log.identity.log_origin, Ed25519PrivateKey.generate()).verifier
    report = audit(HttpLogSource(client), other)
    assert not report.ok
    assert "does not verify" in report.problems[0]


# --- the command itself ----------------------------------------------------------------------


def run(node: NodeContext, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(node.settings.data_dir.parent),
        "ACCORD_DATABASE_URL": node.settings.resolved_database_url,
    }
    return subprocess.run(
        [*ACCORD, "--data-dir", str(node.settings.data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_command_says_ok_then_exactly_what_is_wrong(log: NodeContext) -> None:
    write_identity(log.settings.data_dir, log.identity)
    ok = run(log, "log", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK  log testserver/log: 300 entries")
    state = json.loads(
        (Path(log.settings.data_dir) / "log-verify" / "testserver_log.json").read_text()
    )
    assert state["size"] == 300
    _flip_interior_hash(log)
    bad = run(log, "log", "verify")
    assert bad.returncode == 3
    assert "FAILED" in bad.stdout
    assert "entry 255: stored interior hash of level 2 is wrong" in bad.stdout
    assert "error[ledger.verify-failed]" in bad.stderr
    as_json = json.loads(run(log, "--json", "log", "verify").stdout)
    assert as_json["ok"] is False
    assert as_json["problems"]


def test_prove_and_show_commands(log: NodeContext) -> None:
    write_identity(log.settings.data_dir, log.identity)
    proved = run(log, "--json", "log", "prove", "42")
    assert proved.returncode == 0, proved.stderr
    assert json.loads(proved.stdout)["verified"] is True
    shown = run(log, "--json", "log", "show", "--type", "test.thing.happened", "--limit", "2")
    assert [i["seq"] for i in json.loads(shown.stdout)["items"]] == [0, 1]
    missing = run(log, "log", "prove", "4000")
    assert missing.returncode == 1

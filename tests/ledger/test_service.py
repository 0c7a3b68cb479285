"""Appending inside the caller's transaction, stored tree hashes, checkpoints and proofs, on a
real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import SettableClock
from accord.errors import InvalidInput, NotFound
from accord.ledger import merkle, service
from accord.ledger.canonical import canonical_json
from accord.ledger.checkpoint import open_checkpoint
from accord.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerRecord
from accord.ledger.sources import DatabaseLogSource
from accord.ledger.tiles import ENTRIES, Tile, decode_bundle, decode_hashes
from accord.node import NodeContext


def event(i: int, **public: object) -> ledger.Event:
    return ledger.Event(
        "test.thing.happened",
        subjects={"actor": f"usr_{i % 3}"},
        public={"n": i, **public},
        record={"note": f"free text {i} that must stay private"},
    )


def append_many(node: NodeContext, count: int, **public: object) -> list[int]:
    with node.session() as s:
        seqs = [ledger.append(s, event(i, **public)) for i in range(count)]
        s.commit()
    return seqs


def entries_of(session: Session) -> list[bytes]:
    return list(session.scalars(select(LedgerEntry.entry).order_by(LedgerEntry.seq)))


def test_entries_are_numbered_and_hold_only_public_data(node: NodeContext) -> None:
    assert append_many(node, 5) == [0, 1, 2, 3, 4]
    with node.session() as s:
        row = service.get_entry(s, 3)
        entry = json.loads(row.entry)
        assert row.entry == canonical_json(entry)
        assert entry["seq"] == 3
        assert entry["type"] == "test.thing.happened"
        assert entry["node"] == "test-node"
        assert entry["time"] == "2026-01-15T12:00:00Z"
        assert entry["public"] == {"n": 3}
        assert b"free text" not in row.entry
        assert b"usr_" not in row.entry
        assert entry["subjects"]["actor"].startswith("psn_")
        assert row.leaf_hash == merkle.leaf_hash(row.entry)
        record = service.get_record(s, 3)
        assert hashlib.sha256(canonical_json(record)).hexdigest() == entry["record_sha256"]
        assert record["subjects"] == {"actor": "usr_0"}


def test_pseudonyms_are_stable_per_person_and_keyed(node: NodeContext) -> None:
    append_many(node, 4)
    with node.session() as s:
        actors = [json.loads(e)["subjects"]["actor"] for e in entries_of(s)]
    assert actors[0] == actors[3] != actors[1]
    assert actors[0] == service.pseudonym(node.pseudonym_key, "usr_0")
    assert actors[0] != service.pseudonym(b"another key", "usr_0")


def test_stored_hashes_are_the_rfc_tree(node: NodeContext) -> None:
    append_many(node, 77)
    with node.session() as s:
        reference = merkle.MemoryHashes(merkle.leaf_hash(e) for e in entries_of(s))
        stored = service.DatabaseHashes(s)
        for level, row in enumerate(reference.levels):
            nodes = [merkle.Node(level, n) for n in range(len(row))]
            assert stored.node_hashes(nodes) == row
        assert service.root_hash(s, 77) == reference.frontier.root()
        assert service.root_hash(s, 0) == merkle.EMPTY_ROOT


def test_rollback_leaves_no_entry_and_no_gap(node: NodeContext) -> None:
    append_many(node, 2)
    with node.session() as s:
        ledger.append(s, event(9))
        s.rollback()
        assert ledger.append(s, event(10)) == 2
        s.commit()
    with node.session() as s:
        assert [json.loads(e)["public"]["n"] for e in entries_of(s)] == [0, 1, 10]
        assert s.scalar(select(LedgerRecord.seq).where(LedgerRecord.seq == 3)) is None


def test_savepoint_rollback_keeps_outer_entries(node: NodeContext) -> None:
    with node.session() as s:
        ledger.append(s, event(0))
        nested = s.begin_nested()
        ledger.append(s, event(1))
        nested.rollback()
        ledger.append(s, event(2))
        with s.begin_nested():
            ledger.append(s, event(3))
        ledger.append(s, event(4))
        s.commit()
    with node.session() as s:
        entries = entries_of(s)
        assert [json.loads(e)["public"]["n"] for e in entries] == [0, 2, 3, 4]
        assert [json.loads(e)["seq"] for e in entries] == [0, 1, 2, 3]
        reference = merkle.MemoryHashes(merkle.leaf_hash(e) for e in entries)
        assert service.root_hash(s, 4) == reference.frontier.root()


def test_appended_rows_are_seen_by_the_rest_of_the_transaction(node: NodeContext) -> None:
    """Rows wait in the writer until the next statement: every reader in the transaction, and
    the raw reader of the audit, sees them as if each append had inserted at once."""
    with node.session() as s:
        for i in range(3):
            ledger.append(s, event(i))
        assert s.scalar(text("SELECT count(*) FROM ledger_records")) == 3
        assert service.tree_size(s) == 3
        ledger.append(s, event(3))
        chunks = list(DatabaseLogSource(s).entries(0, 4))
        assert [seq for chunk in chunks for seq in chunk.seqs] == [0, 1, 2, 3]
        s.commit()
    with node.session() as s:
        assert service.tree_size(s) == 4


def test_rows_of_a_rolled_back_transaction_never_reach_the_next_one(node: NodeContext) -> None:
    with node.session() as s:
        ledger.append(s, event(0))
        ledger.append(s, event(1))
    with node.session() as s:  # the same pooled connection, a new transaction
        s.execute(text("SELECT 1"))
        s.commit()
    with node.session() as s:
        assert service.tree_size(s) == 0
        assert s.scalar(text("SELECT count(*) FROM ledger_records")) == 0


def test_many_appends_in_one_transaction_are_written_in_batches(node: NodeContext) -> None:
    count = service._PENDING_ROWS * 2 + 7
    assert append_many(node, count)[-1] == count - 1
    with node.session() as s:
        entries = entries_of(s)
        assert [json.loads(e)["seq"] for e in entries] == list(range(count))
        reference = merkle.MemoryHashes(merkle.leaf_hash(e) for e in entries)
        assert service.root_hash(s, count) == reference.frontier.root()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 6, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_sqlite_times_are_written_as_sqlalchemy_writes_them(moment: datetime) -> None:
    dialect = sqlite.dialect()  # type: ignore[no-untyped-call]
    column = LedgerEntry.__table__.c.created_at.type.dialect_impl(dialect)
    assert service.sqlite_time(moment) == column.bind_processor(dialect)(moment)


def test_a_closed_session_does_not_keep_the_tree_edge(node: NodeContext) -> None:
    s = node.session()
    ledger.append(s, event(0))
    s.close()
    append_many(node, 1)
    ledger.append(s, event(1))
    s.commit()
    s.close()
    with node.session() as s2:
        assert [json.loads(e)["seq"] for e in entries_of(s2)] == [0, 1]


def test_checkpoints_by_count(node: NodeContext) -> None:
    node.settings.log_checkpoint_entries = 10
    append_many(node, 25)
    with node.session() as s:
        sizes = [c.size for c in service.checkpoints(s)]
        assert sizes == [1, 11, 21]
        for cp in service.checkpoints(s):
            assert open_checkpoint(cp.note, service.verifier(node)).root_hash == cp.root_hash
            assert service.root_hash(s, cp.size) == cp.root_hash


def test_checkpoints_by_interval(node: NodeContext, clock: SettableClock) -> None:
    node.settings.log_checkpoint_seconds = 60
    append_many(node, 3)
    clock.advance(timedelta(seconds=59))
    append_many(node, 1)
    clock.advance(timedelta(seconds=1))
    append_many(node, 2)
    with node.session() as s:
        assert [c.size for c in service.checkpoints(s)] == [1, 5]


def test_checkpoint_if_due(node: NodeContext, clock: SettableClock) -> None:
    with node.session() as s:
        first = service.checkpoint_if_due(s)
        assert first is not None
        assert first.size == 0
        assert first.root_hash == merkle.EMPTY_ROOT
        s.commit()
    append_many(node, 3)
    with node.session() as s:
        assert service.checkpoint_if_due(s) is None
        clock.advance(timedelta(seconds=node.settings.log_checkpoint_seconds))
        cp = service.checkpoint_if_due(s)
        assert cp is not None
        assert cp.size == 3
        s.commit()
    with node.session() as s:
        clock.advance(timedelta(days=1))
        assert service.checkpoint_if_due(s) is None


def test_checkpoint_note_is_c2sp(node: NodeContext) -> None:
    append_many(node, 1)
    with node.session() as s:
        cp = service.latest_checkpoint(s)
        assert cp is not None
        origin = node.identity.log_origin
        root = base64.b64encode(cp.root_hash).decode()
        assert cp.note.startswith(f"{origin}\n1\n{root}\n\n\u2014 {origin} ")
        vkey = service.verifier(node).vkey()
        name, key_id, key = vkey.split("+", 2)
        assert name == origin
        assert len(key_id) == 8
        assert base64.b64decode(key)[0] == 1


@pytest.mark.parametrize("size", [1, 2, 3, 8, 9, 37])
def test_proofs_from_stored_hashes_verify(node: NodeContext, size: int) -> None:
    append_many(node, 40)
    with node.session() as s:
        entries = entries_of(s)
        root = service.root_hash(s, size)
        for index in range(size):
            proof = service.inclusion_proof(s, index, size)
            merkle.verify_inclusion(index, size, merkle.leaf_hash(entries[index]), proof, root)
        for old in range(size + 1):
            proof = service.consistency_proof(s, old, size)
            merkle.verify_consistency(old, size, proof, service.root_hash(s, old), root)


def test_proof_arguments_are_checked(node: NodeContext) -> None:
    append_many(node, 3)
    with node.session() as s:
        with pytest.raises(InvalidInput):
            service.inclusion_proof(s, 3, 3)
        with pytest.raises(InvalidInput):
            service.inclusion_proof(s, 0, 4)
        with pytest.raises(InvalidInput):
            service.consistency_proof(s, 3, 2)
        with pytest.raises(NotFound):
            service.get_entry(s, 3)
        with pytest.raises(NotFound):
            service.find_leaf(s, b"\x00" * 32)
        assert service.find_leaf(s, merkle.leaf_hash(entries_of(s)[1])) == 1


def test_tiles_and_bundles(node: NodeContext) -> None:
    append_many(node, 300)
    with node.session() as s:
        entries = entries_of(s)
        bundle = service.tile_body(s, Tile(ENTRIES, 1, 44))
        assert decode_bundle(bundle, Tile(ENTRIES, 1, 44)) == entries[256:]
        leaves = decode_hashes(service.tile_body(s, Tile(0, 0)), Tile(0, 0))
        assert leaves == [merkle.leaf_hash(e) for e in entries[:256]]
        level1 = decode_hashes(service.tile_body(s, Tile(1, 0, 1)), Tile(1, 0, 1))
        assert level1 == [merkle.root(256, merkle.MemoryHashes(leaves))]
        with pytest.raises(NotFound):
            service.tile_body(s, Tile(ENTRIES, 1, 45))
        with pytest.raises(NotFound):
            service.tile_body(s, Tile(1, 0, 2))


def test_entries_are_searchable_by_dataset_and_type(node: NodeContext) -> None:
    append_many(node, 3, dataset="ds_A")
    append_many(node, 2, dataset="ds_B")
    with node.session() as s:
        found = service.list_entries(s, dataset="ds_B")
        assert [e.seq for e in found] == [3, 4]
        newest = service.list_entries(s, start=4, newest_first=True, limit=2)
        assert [e.seq for e in newest] == [4, 3]
        assert len(service.list_entries(s, event_type="test.thing.happened")) == 5
        assert service.list_entries(s, event_type="other.thing.happened") == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (ledger.Event("NoDots"), "not <domain>"),
        (ledger.Event("a.b.c", public={"text": "x" * 20_000}), "too big"),
    ],
)
def test_bad_events_are_refused(node: NodeContext, bad: ledger.Event, message: str) -> None:
    with node.session() as s, pytest.raises(ValueError, match=message):
        ledger.append(s, bad)


def test_readonly_sessions_cannot_append(node: NodeContext) -> None:
    if node.engine.dialect.name != "sqlite":
        pytest.skip("read-only sessions are a SQLite notion")
    with node.session(readonly=True) as s, pytest.raises(RuntimeError, match="for writing"):
        ledger.append(s, event(0))


def test_checkpoint_rows_are_kept(node: NodeContext) -> None:
    node.settings.log_checkpoint_entries = 1
    append_many(node, 4)
    with node.session() as s:
        assert s.scalar(select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size)) == 1
        assert len(service.checkpoints(s)) == 4


def test_entries_with_floats_take_the_general_encoder(node: NodeContext) -> None:
    import rfc8785

    with node.session() as s:
        ledger.append(s, ledger.Event("test.thing.measured", public={"ratio": 0.5, "big": 1e21}))
        s.commit()
    with node.session() as s:
        row = service.get_entry(s, 0)
        assert row.entry == rfc8785.dumps(json.loads(row.entry))
        assert b'"big":1e+21' in row.entry

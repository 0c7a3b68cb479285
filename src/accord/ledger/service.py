"""The transparency log's operations: append inside the caller's transaction (DESIGN.md rule 1),
sign checkpoints, and read entries, tiles and proofs back.

Appends are serialised: the first append of a transaction takes the log's lock (a PostgreSQL
transaction-scoped advisory lock; on SQLite the write lock every write transaction takes with
``BEGIN IMMEDIATE``), then reads the tree's right edge once. Later appends in the same
transaction reuse it, so an append costs about two hashes and two encodings. Its rows wait in
the writer and go to the database in one ``executemany`` per table, before the next statement
of any kind on the same connection, and before commit (decision 0911). The cached edge is
dropped when the transaction or a savepoint ends, and read again on the next append.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, event, func, insert, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction

from accord.clock import rfc3339
from accord.errors import InvalidInput, NotFound
from accord.ledger import merkle
from accord.ledger.canonical import encoder_for
from accord.ledger.checkpoint import Checkpoint, sign_checkpoint
from accord.ledger.events import Event
from accord.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerKey, LedgerRecord
from accord.ledger.note import Signer, Verifier
from accord.ledger.tiles import ENTRIES, TILE_WIDTH, Tile, encode_bundle, encode_hashes
from accord.node import NodeContext, node_of

MAX_ENTRY_BYTES = 16 * 1024
"""An entry is a small public summary; bundles could carry up to 65,535 bytes."""

_APPEND_LOCK = 0x0ACC0D
_WRITER = "accord.ledger.writer"
_PENDING = "accord.ledger.pending"
"""Key of the connection's ``info`` that names the writer whose rows wait to be inserted."""
_PENDING_ROWS = 2000
"""Rows a writer keeps before inserting them anyway (memory stays bounded in long batches)."""
_CHECKED_TYPES: set[str] = set()
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9_-]*){2,}$")
_HASH = merkle.HASH_SIZE


def append(session: Session, event: Event) -> int:
    """Append ``event`` as the next entry and return its sequence number.

    Runs in the caller's transaction: the entry commits or rolls back with the change it logs.
    """
    node = node_of(session)
    writer = _writer(session, node)
    seq = writer.frontier.size
    now = node.clock.now()
    record = _full_record(event, seq)
    encode = encoder_for(record)
    record_json = encode(record)
    entry_bytes = encode(
        {
            "seq": seq,
            "time": rfc3339(now),
            "type": event.type,
            "node": node.identity.node_id,
            "subjects": {
                role: pseudonym(node.pseudonym_key, pid) for role, pid in record["subjects"].items()
            },
            "public": record["public"],
            "record_sha256": hashlib.sha256(record_json).hexdigest(),
        }
    )
    if len(entry_bytes) > MAX_ENTRY_BYTES:
        raise ValueError(f"{event.type}: entry of {len(entry_bytes)} bytes; public fields too big")
    leaf = merkle.leaf_hash(entry_bytes)
    interior = writer.frontier.append(leaf)
    writer.insert(seq, event.type, now, entry_bytes, leaf, interior, record["public"], record_json)
    if writer.checkpoint_due(now):
        _issue_checkpoint(session, node, writer, now)
    return seq


@lru_cache(maxsize=65_536)
def pseudonym(key: bytes, person_id: str) -> str:
    """A stable keyed pseudonym for a person: HMAC-SHA-256 with the node's secret."""
    return "psn_" + hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:32]


def log_origin(node: NodeContext) -> str:
    return node.identity.log_origin


def signer(node: NodeContext) -> Signer:
    """The node's current key as a signed-note signer (key name = origin)."""
    return Signer(log_origin(node), node.signing_key)


def log_signer(session: Session, node: NodeContext) -> Signer:
    """The checkpoint signer: the key the key table names as current (read under the log's
    lock), so that no process signs with a key another one has rotated out (decision 1310)."""
    current = session.scalar(select(LedgerKey.fingerprint).where(LedgerKey.until_size.is_(None)))
    key = node.signing_key if current is None else node.signing_key_for(current)
    return Signer(log_origin(node), key)


def next_seq(session: Session) -> int:
    """Take the log's lock for this transaction and return the next entry's number."""
    return _writer(session, node_of(session)).frontier.size


def checkpoint_now(session: Session) -> LedgerCheckpoint | None:
    """Sign a checkpoint of every entry so far, unless one covers them already."""
    node = node_of(session)
    writer = _writer(session, node)
    if writer.checkpoint_size == writer.frontier.size:
        return None
    return _issue_checkpoint(session, node, writer, node.clock.now())


def verifier(node: NodeContext) -> Verifier:
    return signer(node).verifier


# --- checkpoints -------------------------------------------------------------------------------


def current_checkpoint(node: NodeContext) -> LedgerCheckpoint:
    """The newest checkpoint, first signing a new one if the policy says one is due.

    Uses sessions of its own, so that a reader's session opened afterwards sees every entry the
    checkpoint covers.
    """
    with node.session(readonly=True) as reading:
        latest = latest_checkpoint(reading)
        stale = latest is None or _stale(node, reading, latest)
    if stale:
        with node.session() as writing:
            issued = checkpoint_if_due(writing)
            writing.commit()
        if issued is not None:
            return issued
        with node.session(readonly=True) as reading:
            latest = latest_checkpoint(reading)
    if latest is None:
        raise RuntimeError("no checkpoint after issuing one")
    return latest


def _stale(node: NodeContext, session: Session, latest: LedgerCheckpoint) -> bool:
    age = (node.clock.now() - latest.issued_at).total_seconds()
    return age >= node.settings.log_checkpoint_seconds and tree_size(session) > latest.size


def checkpoint_if_due(session: Session) -> LedgerCheckpoint | None:
    """Sign a checkpoint if entries are uncovered and the policy says it is time (or none exists).

    For a periodic job or a reader that finds the newest checkpoint stale; appends issue
    checkpoints themselves.
    """
    node = node_of(session)
    writer = _writer(session, node)
    now = node.clock.now()
    if writer.checkpoint_size is not None and not writer.checkpoint_due(now):
        return None
    return _issue_checkpoint(session, node, writer, now)


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()


def checkpoint_at(session: Session, size: int) -> LedgerCheckpoint | None:
    return session.get(LedgerCheckpoint, size)


def checkpoints(
    session: Session, *, after: int = -1, limit: int = 100
) -> Sequence[LedgerCheckpoint]:
    """Checkpoints by size, oldest first, from the first one larger than ``after``."""
    stmt = (
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.size > after)
        .order_by(LedgerCheckpoint.size)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def _issue_checkpoint(
    session: Session, node: NodeContext, writer: _Writer, now: datetime
) -> LedgerCheckpoint:
    size = writer.frontier.size
    if size == writer.checkpoint_size:
        raise RuntimeError("a checkpoint for this size exists already")
    root = writer.frontier.root()
    note = sign_checkpoint(Checkpoint(log_origin(node), size, root), log_signer(session, node))
    values = {"size": size, "root_hash": root, "issued_at": now, "note": note}
    session.execute(insert(LedgerCheckpoint).values(**values))
    writer.checkpoint_size, writer.checkpoint_time = size, now
    return LedgerCheckpoint(**values)


# --- reading -----------------------------------------------------------------------------------


def tree_size(session: Session) -> int:
    """Entries committed (or appended by this transaction)."""
    last = session.scalar(select(func.max(LedgerEntry.seq)))
    return 0 if last is None else int(last) + 1


def get_entry(session: Session, seq: int) -> LedgerEntry:
    row = session.get(LedgerEntry, seq)
    if row is None:
        raise NotFound(f"the log has no entry {seq}", code="ledger.entry-not-found")
    return row


def find_leaf(session: Session, leaf_hash: bytes) -> int:
    seq = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.leaf_hash == leaf_hash))
    if seq is None:
        raise NotFound("no entry has this leaf hash", code="ledger.entry-not-found")
    return int(seq)


def list_entries(
    session: Session,
    *,
    start: int = 0,
    limit: int = 50,
    newest_first: bool = False,
    event_type: str | None = None,
    dataset: str | None = None,
) -> Sequence[LedgerEntry]:
    """Entries from ``start`` (inclusive) upwards, or downwards when ``newest_first``."""
    stmt = select(LedgerEntry)
    if event_type:
        stmt = stmt.where(LedgerEntry.event_type == event_type)
    if dataset:
        stmt = stmt.where(LedgerEntry.dataset == dataset)
    if newest_first:
        stmt = stmt.where(LedgerEntry.seq <= start).order_by(LedgerEntry.seq.desc())
    else:
        stmt = stmt.where(LedgerEntry.seq >= start).order_by(LedgerEntry.seq)
    return session.scalars(stmt.limit(limit)).all()


def get_record(session: Session, seq: int) -> dict[str, Any]:
    """The private record behind entry ``seq`` (callers check the reader may see it)."""
    row = session.get(LedgerRecord, seq)
    if row is None:
        raise NotFound(f"the log has no record {seq}", code="ledger.entry-not-found")
    return row.record


def root_hash(session: Session, size: int) -> bytes:
    _check_size(session, size)
    return merkle.root(size, DatabaseHashes(session))


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    return prove_inclusion(session, index, size)[0]


def prove_inclusion(session: Session, index: int, size: int) -> tuple[list[bytes], bytes]:
    """The inclusion proof of entry ``index`` in the tree of ``size`` entries, and its root."""
    if not 0 <= index < size:
        raise InvalidInput(
            f"entry {index} is not in a tree of {size} entries",
            code="ledger.index-out-of-range",
        )
    try:
        return merkle.inclusion_proof_and_root(index, size, DatabaseHashes(session))
    except merkle.ProofError as exc:
        raise _no_tree(session, size) from exc


def consistency_proof(session: Session, old_size: int, new_size: int) -> list[bytes]:
    return prove_consistency(session, old_size, new_size)[0]


def prove_consistency(
    session: Session, old_size: int, new_size: int
) -> tuple[list[bytes], bytes, bytes]:
    """The consistency proof from ``old_size`` to ``new_size`` entries, and both roots."""
    if not 0 <= old_size <= new_size:
        raise InvalidInput(
            f"a tree of {old_size} entries cannot precede one of {new_size}",
            code="ledger.sizes-out-of-order",
        )
    try:
        return merkle.consistency_proof_and_roots(old_size, new_size, DatabaseHashes(session))
    except merkle.ProofError as exc:
        raise _no_tree(session, new_size) from exc


def tile_body(session: Session, tile: Tile) -> bytes:
    """The bytes of a tile or entry bundle; NotFound unless the tree is large enough for it."""
    size = tree_size(session)
    first = tile.index * TILE_WIDTH
    if (first + tile.width) << tile.tree_level > size:
        raise NotFound(f"the log has no {tile.path()} yet", code="ledger.tile-not-found")
    if tile.level == ENTRIES:
        rows = session.scalars(
            select(LedgerEntry.entry)
            .where(LedgerEntry.seq >= first, LedgerEntry.seq < first + tile.width)
            .order_by(LedgerEntry.seq)
        ).all()
        return encode_bundle(rows)
    return encode_hashes(DatabaseHashes(session).node_hashes(tile.nodes()))


def _check_size(session: Session, size: int) -> None:
    if not 0 <= size <= tree_size(session):
        raise _no_tree(session, size)


def _no_tree(session: Session, size: int) -> InvalidInput:
    current = tree_size(session)
    return InvalidInput(
        f"the log has {current} entries: no tree of {size}", code="ledger.size-out-of-range"
    )


_NODE_ROWS = "SELECT seq, leaf_hash, nodes FROM ledger_entries WHERE seq IN ({})"


class DatabaseHashes:
    """The stored tree as a :class:`merkle.HashSource`: one query for any set of nodes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def node_hashes(self, nodes: Sequence[merkle.Node]) -> list[bytes]:
        seqs = tuple({((n + 1) << level) - 1 for level, n in nodes})
        if not seqs:
            return []
        connection = self.session.connection()
        # A proof asks for a few dozen rows by number: plain SQL, no statement to compile.
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        sql = _NODE_ROWS.format(", ".join([mark] * len(seqs)))
        rows = {
            seq: (leaf, stored or b"")
            for seq, leaf, stored in connection.exec_driver_sql(sql, seqs)
        }
        return [self._hash(rows, level, n) for level, n in nodes]

    @staticmethod
    def _hash(rows: dict[int, tuple[bytes, bytes]], level: int, n: int) -> bytes:
        seq = ((n + 1) << level) - 1
        if seq not in rows:
            raise merkle.ProofError(f"the log has no entry {seq} (node {level}/{n})")
        leaf, stored = rows[seq]
        h = leaf if level == 0 else stored[(level - 1) * _HASH : level * _HASH]
        if len(h) != _HASH:
            raise merkle.ProofError(f"entry {seq} does not hold the hash of node {level}/{n}")
        return bytes(h)


# --- the writer: one per transaction -----------------------------------------------------------


@dataclass
class _Writer:
    """The tree's right edge and the last checkpoint, valid while this transaction holds the
    log's lock; plus the rows appended but not yet inserted, and the driver's own cursor that
    inserts them without ORM overhead."""

    frontier: merkle.Frontier
    checkpoint_size: int | None
    checkpoint_time: datetime | None
    every: int
    interval: timedelta
    cursor: Any
    sql: _Statements
    transaction: SessionTransaction | None
    """The savepoint (if any) the rows go into: a newer one must be opened before writing."""
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[int, str]] = field(default_factory=list)

    def insert(
        self,
        seq: int,
        event_type: str,
        now: datetime,
        entry: bytes,
        leaf: bytes,
        interior: bytes,
        public: dict[str, Any],
        record_json: bytes,
    ) -> None:
        dataset = public.get("dataset")
        if not (type(dataset) is str and len(dataset) <= 40):
            dataset = None
        self.entries.append(
            (seq, event_type, self.sql.time(now), entry, leaf, interior or None, dataset)
        )
        self.records.append((seq, record_json.decode()))
        if len(self.entries) >= _PENDING_ROWS:
            self.write()

    def write(self) -> None:
        """Insert the waiting rows: one ``executemany`` per table."""
        if not self.entries:
            return
        entries, records = self.entries, self.records
        self.entries, self.records = [], []
        self.cursor.executemany(self.sql.entry, entries)
        self.cursor.executemany(self.sql.record, records)

    def discard(self) -> None:
        self.entries, self.records = [], []

    def checkpoint_due(self, now: datetime) -> bool:
        if self.checkpoint_size is None or self.checkpoint_time is None:
            return True
        uncovered = self.frontier.size - self.checkpoint_size
        if uncovered >= self.every:
            return True
        return uncovered > 0 and now - self.checkpoint_time >= self.interval


@dataclass(frozen=True)
class _Statements:
    """INSERTs in the driver's own parameter style, with the columns' bind conversions.

    The record goes in as its canonical JSON text (a JSON column holds text on SQLite; on
    PostgreSQL the text is cast), so it is encoded once."""

    entry: str
    record: str
    time: Any

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> _Statements:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        entries = LedgerEntry.__table__
        time: Any = entries.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
        if dialect.name == "sqlite":
            time = sqlite_time
        record = _INSERT_RECORD.replace("?", mark)
        if dialect.name == "postgresql":
            record = record.replace(f", {mark})", f", CAST({mark} AS JSON))")
        return cls(
            entry=_INSERT_ENTRY.replace("?", mark),
            record=record,
            time=time or (lambda v: v),
        )


def sqlite_time(moment: datetime) -> str:
    """The text SQLAlchemy stores a UTC datetime column as on SQLite, made in one call rather
    than two bind processors (a test holds the two equal)."""
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


_INSERT_ENTRY = (
    "INSERT INTO ledger_entries (seq, event_type, created_at, entry, leaf_hash, nodes, dataset)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_RECORD = "INSERT INTO ledger_records (seq, record) VALUES (?, ?)"
_STATEMENTS: dict[str, _Statements] = {}


def _writer(session: Session, node: NodeContext) -> _Writer:
    writer = session.info.get(_WRITER)
    if isinstance(writer, _Writer):
        savepoint = session.get_nested_transaction()
        if savepoint is not writer.transaction:
            # SQLAlchemy emits SAVEPOINT lazily: asking for the connection opens the one the
            # caller began, so that rows written through the raw cursor land inside it.
            session.connection()
            writer.transaction = savepoint
        return writer
    connection = session.connection()
    session.flush()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})
    elif connection.get_execution_options().get("accord_readonly"):
        raise RuntimeError("ledger.append needs a session opened for writing")
    size = tree_size(session)
    last = latest_checkpoint(session)
    sql = _STATEMENTS.get(dialect.name)
    if sql is None:
        sql = _STATEMENTS[dialect.name] = _Statements.for_dialect(dialect)
    writer = _Writer(
        frontier=merkle.Frontier.load(size, DatabaseHashes(session)),
        checkpoint_size=last.size if last else None,
        checkpoint_time=last.issued_at if last else None,
        every=node.settings.log_checkpoint_entries,
        interval=timedelta(seconds=node.settings.log_checkpoint_seconds),
        cursor=connection.connection.dbapi_connection.cursor(),  # type: ignore[union-attr]
        sql=sql,
        transaction=session.get_nested_transaction(),
    )
    session.info[_WRITER] = writer
    connection.info[_PENDING] = writer
    return writer


def write_pending(session: Session) -> None:
    """Insert the rows this session's appends keep waiting, for a reader that bypasses
    SQLAlchemy (any statement through SQLAlchemy inserts them first anyway)."""
    writer = session.info.get(_WRITER)
    if isinstance(writer, _Writer):
        writer.write()


@event.listens_for(Session, "after_transaction_end")
def _forget_writer(session: Session, transaction: SessionTransaction) -> None:
    """The lock, and what was read under it, last as long as the transaction or savepoint.

    Rows still waiting here belong to a transaction that was rolled back: a commit, and any
    statement (``RELEASE`` or ``ROLLBACK TO SAVEPOINT`` included), inserts them first."""
    if transaction.nested or transaction.parent is None:
        writer = session.info.pop(_WRITER, None)
        if isinstance(writer, _Writer):
            writer.discard()


@event.listens_for(Engine, "before_cursor_execute")
def _write_before_statement(
    conn: Connection, _cursor: Any, _sql: str, _params: Any, _context: Any, _many: bool
) -> None:
    """Appended rows reach the database before any other statement of their connection, so
    every read, savepoint and later write sees the log as if each append had inserted at once."""
    writer = conn.info.get(_PENDING)
    if writer is not None and writer.entries:
        writer.write()


@event.listens_for(Engine, "commit")
def _write_before_commit(conn: Connection) -> None:
    writer = _take_pending(conn)
    if writer is not None:
        writer.write()


@event.listens_for(Engine, "rollback")
def _discard_on_rollback(conn: Connection) -> None:
    writer = _take_pending(conn)
    if writer is not None:
        writer.discard()


def _take_pending(conn: Connection) -> _Writer | None:
    if conn.closed or conn.invalidated:
        return None
    writer = conn.info.pop(_PENDING, None)
    return writer if isinstance(writer, _Writer) else None


def _full_record(event: Event, seq: int) -> dict[str, Any]:
    if event.type not in _CHECKED_TYPES:
        if not _EVENT_TYPE.match(event.type):
            raise ValueError(f"event type {event.type!r} is not <domain>.<noun>.<past participle>")
        _CHECKED_TYPES.add(event.type)
    return {
        "seq": seq,
        "type": event.type,
        "subjects": {role: pid for role, pid in event.subjects.items() if pid is not None},
        "public": dict(event.public),
        "record": dict(event.record),
    }

"""Appending to the transparency log inside the caller's transaction (DESIGN.md rule 1)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import rfc8785
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accord.clock import rfc3339
from accord.ledger.events import Event
from accord.ledger.models import LedgerEntry, LedgerRecord
from accord.node import node_of

# Any constant works; every writer takes the same PostgreSQL advisory lock before appending.
_APPEND_LOCK = 0x0ACC0D


def append(session: Session, event: Event) -> int:
    """Append ``event`` as the next entry and return its sequence number.

    Runs in the caller's transaction: the entry commits or rolls back with the change it logs.
    """
    node = node_of(session)
    _serialise_appends(session)
    seq = _next_seq(session)
    now = node.clock.now()
    record = _full_record(event, seq)
    entry = {
        "seq": seq,
        "time": rfc3339(now),
        "type": event.type,
        "node": node.identity.node_id,
        "subjects": {
            role: pseudonym(node.pseudonym_key, pid)
            for role, pid in event.subjects.items()
        },
        "public": dict(event.public),
        "record_sha256": hashlib.sha256(rfc8785.dumps(record)).hexdigest(),
    }
    entry_bytes = rfc8785.dumps(entry)
    leaf_hash = hashlib.sha256(b"\x00" + entry_bytes).digest()
    session.add(
        LedgerEntry(
            seq=seq,
            event_type=event.type,
            created_at=now,
            entry=entry_bytes,
            leaf_hash=leaf_hash,
        )
    )
    session.add(LedgerRecord(seq=seq, record=record))
    session.flush()
    return seq


def pseudonym(key: bytes, person_id: str) -> str:
    """A stable keyed pseudonym for a person: HMAC-SHA-256 with the node's secret."""
    return "psn_" + hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:32]


def _full_record(event: Event, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": event.type,
        "subjects": dict(event.subjects),
        "public": dict(event.public),
        "record": dict(event.record),
    }


def _serialise_appends(session: Session) -> None:
    """PostgreSQL: a transaction-scoped advisory lock; SQLite transactions hold the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})


def _next_seq(session: Session) -> int:
    last = session.scalar(select(func.max(LedgerEntry.seq)))
    return 0 if last is None else int(last) + 1

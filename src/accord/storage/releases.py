"""Deleting blobs nothing references any more.

Blobs are shared by content (decision 0200): the same bytes may be a file of several versions,
a finished upload, a sandbox output, a mirrored file or breach evidence. ``REFERENCES`` names
every column that holds a blob's digest; a blob is referenced while any row has it. When a
domain drops its last reference (a file removed from a draft) it calls ``release`` in the same
transaction, which records the blob in ``storage_blob_releases`` and logs
``storage.blob.released``. The storage sweep (``accord upload sweep``) later deletes the bytes
of each released blob that is still unreferenced, logging ``storage.blob.deleted``: bytes go
only after the change that freed them is committed, and never while anything points at them.

Whoever takes a new reference to a stored blob (a finished upload, a file attached to a draft)
calls ``claim`` first: it deletes the blob's release row, which makes the sweep and the claimant
take turns on that row (SQLite's write lock; PostgreSQL's row lock), and then checks that the
bytes are there. The sweep deletes the row, re-checks the references and deletes the bytes
before it commits; a claimant after it finds the blob gone and says so instead of pointing at
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, column, delete, exists, select, table, union_all
from sqlalchemy.orm import Session

from accord import ledger
from accord.node import node_of
from accord.storage.blobs import blob_missing, blob_store_of
from accord.storage.models import BlobRelease

REFERENCES: tuple[tuple[str, str], ...] = (
    ("dataset_files", "sha256"),
    ("uploads", "sha256"),
    ("sandbox_outputs", "sha256"),
    ("federation_mirror_files", "sha256"),
    ("access_breach_evidence", "sha256"),
)
"""(table, column) pairs holding blob digests; tests check that every ``sha256`` column of the
schema is here or is known to be a digest of something else."""


@dataclass(frozen=True)
class Collected:
    deleted: int
    kept: int


def is_referenced(session: Session, sha256: str) -> bool:
    """Whether any row of any domain holds ``sha256`` as a blob digest."""
    probes = [
        select(exists().where(column(name) == sha256).select_from(table(source, column(name))))
        for source, name in REFERENCES
    ]
    return any(session.execute(union_all(*probes)).scalars())


def release(session: Session, sha256: str, size: int, actor: str, now: datetime) -> bool:
    """Record that ``sha256`` lost its last reference (if it did); True if it was released."""
    if is_referenced(session, sha256) or session.get(BlobRelease, sha256) is not None:
        return False
    session.add(BlobRelease(sha256=sha256, size=size, released_at=now))
    ledger.append(
        session,
        ledger.Event(
            "storage.blob.released",
            subjects={"actor": actor},
            public={"size": size},
            record={"sha256": sha256},
        ),
    )
    return True


def claim(session: Session, sha256: str) -> None:
    """Take a reference to a stored blob: withdraw any release, then require the bytes
    (``NotFound(storage.blob-missing)`` if the sweep deleted them first)."""
    if _unrelease(session, sha256):
        _retained(session, sha256)
    if not blob_store_of(node_of(session)).exists(sha256):
        raise blob_missing(sha256)


def collect(session: Session) -> Collected:
    """Delete the bytes of every released blob nothing references (each in its own commit)."""
    store = blob_store_of(node_of(session))
    deleted = kept = 0
    for sha256, size in session.execute(select(BlobRelease.sha256, BlobRelease.size)).all():
        if not _unrelease(session, sha256):
            session.rollback()
            continue
        if is_referenced(session, sha256):
            kept += 1
            _retained(session, sha256)
        else:
            store.delete(sha256)
            deleted += 1
            ledger.append(
                session,
                ledger.Event(
                    "storage.blob.deleted", public={"size": size}, record={"sha256": sha256}
                ),
            )
        session.commit()
    return Collected(deleted=deleted, kept=kept)


def _retained(session: Session, sha256: str) -> None:
    """A released blob is referenced again: its release is withdrawn (logged)."""
    ledger.append(session, ledger.Event("storage.blob.retained", record={"sha256": sha256}))


def _unrelease(session: Session, sha256: str) -> bool:
    """Delete the blob's release row; True if there was one (this transaction now holds it)."""
    result = session.execute(delete(BlobRelease).where(BlobRelease.sha256 == sha256))
    return bool(cast(CursorResult[Any], result).rowcount)

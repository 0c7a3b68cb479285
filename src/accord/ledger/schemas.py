"""Response bodies of the log's JSON API (the CLI's ``--json`` prints the same).

Hashes are standard base64, as in checkpoints and tiles; ``record_sha256`` inside an entry is
hex, like any file digest.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from accord.ledger.models import LedgerCheckpoint, LedgerEntry


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class EntryOut(BaseModel):
    seq: int
    leaf_hash: str
    entry: dict[str, Any]

    @classmethod
    def of(cls, row: LedgerEntry) -> EntryOut:
        return cls(seq=row.seq, leaf_hash=b64(row.leaf_hash), entry=json.loads(row.entry))


class CheckpointOut(BaseModel):
    size: int
    root_hash: str
    issued_at: datetime
    note: str

    @classmethod
    def of(cls, row: LedgerCheckpoint) -> CheckpointOut:
        return cls(
            size=row.size, root_hash=b64(row.root_hash), issued_at=row.issued_at, note=row.note
        )


class InclusionProofOut(BaseModel):
    """RFC 9162 inclusion proof of entry ``leaf_index`` in the tree of ``tree_size`` entries."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]
    checkpoint: str | None
    """The signed checkpoint of ``tree_size``, when one was issued at that size."""


class ConsistencyProofOut(BaseModel):
    """RFC 9162 consistency proof between the trees of ``first`` and ``second`` entries."""

    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class RecordOut(BaseModel):
    seq: int
    record: dict[str, Any]

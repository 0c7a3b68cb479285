"""Checking that a log's checkpoint carries enough witness cosignatures (``accord log verify
--witnesses N``): the log's own signature, the checkpoint's root against the audited tree, and
at least N valid C2SP tlog-cosignature lines by trusted witness keys. Fails closed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from accord.errors import VerificationFailed
from accord.federation.cosignature import Witness, count_cosignatures
from accord.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from accord.ledger.note import NoteError, Verifier


@dataclass(frozen=True)
class Witnessed:
    checkpoint: Checkpoint
    witnesses: list[str]


def check_witnessed(
    note: str,
    log: Verifier,
    witnesses: Sequence[Witness],
    required: int,
    root_at: Callable[[int], bytes],
) -> Witnessed:
    """Raise ``VerificationFailed`` unless ``note`` is the log's checkpoint of the tree that
    ``root_at(size)`` describes, cosigned by at least ``required`` of ``witnesses``."""
    try:
        checkpoint = open_checkpoint(note, log)
    except (CheckpointError, NoteError) as exc:
        raise VerificationFailed(
            f"the cosigned checkpoint does not verify: {exc}", code="ledger.verify-failed"
        ) from exc
    if root_at(checkpoint.size) != checkpoint.root_hash:
        raise VerificationFailed(
            f"the cosigned checkpoint of size {checkpoint.size} has another root than the log",
            code="ledger.verify-failed",
        )
    valid = count_cosignatures(note, list(witnesses))
    if len(valid) < required:
        raise VerificationFailed(
            f"the checkpoint of size {checkpoint.size} has {len(valid)} valid witness "
            f"cosignatures, {required} needed",
            code="ledger.too-few-cosignatures",
            hint="run `accord witness` on peer nodes, or give their keys with --witness-key",
        )
    return Witnessed(checkpoint, valid)

"""C2SP tlog-cosignature lines: they verify for the witness that made them and nothing else."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from accord.federation.cosignature import (
    Witness,
    cosign,
    count_cosignatures,
    signed_message,
    verify_cosignature,
)
from accord.ledger.checkpoint import Checkpoint, sign_checkpoint
from accord.ledger.note import NoteError, Signer

LOG_KEY = Ed25519PrivateKey.generate()
WITNESS_KEY = Ed25519PrivateKey.generate()
LOG = Signer("log.example/log", LOG_KEY)


def _note(size: int = 7, root: bytes = b"r") -> tuple[Checkpoint, str]:
    checkpoint = Checkpoint("log.example/log", size, hashlib.sha256(root).digest())
    return checkpoint, sign_checkpoint(checkpoint, LOG)


def test_signed_message_is_the_v1_header_then_the_checkpoint() -> None:
    checkpoint, _ = _note()
    assert signed_message(checkpoint.body(), 1700000000).decode() == (
        "cosignature/v1\ntime 1700000000\n" + checkpoint.body()
    )


def test_a_cosignature_verifies_and_carries_its_time() -> None:
    checkpoint, note = _note()
    line = cosign("w.example/witness", WITNESS_KEY, checkpoint.body(), 1700000123)
    witness = Witness("w.example/witness", WITNESS_KEY.public_key())
    assert verify_cosignature(note + line, witness) == 1700000123
    assert Witness.from_vkey(witness.vkey()) == witness


def test_a_cosignature_of_another_checkpoint_fails() -> None:
    checkpoint, _ = _note(root=b"one")
    _, other_note = _note(root=b"two")
    line = cosign("w.example/witness", WITNESS_KEY, checkpoint.body(), 1)
    with pytest.raises(NoteError):
        verify_cosignature(
            other_note + line, Witness("w.example/witness", WITNESS_KEY.public_key())
        )


def test_only_trusted_witnesses_count() -> None:
    checkpoint, note = _note()
    stranger = Ed25519PrivateKey.generate()
    lines = cosign("w.example/witness", WITNESS_KEY, checkpoint.body(), 1) + cosign(
        "x.example/witness", stranger, checkpoint.body(), 1
    )
    trusted = [
        Witness("w.example/witness", WITNESS_KEY.public_key()),
        Witness("x.example/witness", Ed25519PrivateKey.generate().public_key()),
    ]
    assert count_cosignatures(note + lines, trusted) == ["w.example/witness"]


@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=0, max_value=2**63 - 1))
def test_every_cosignature_verifies_for_its_checkpoint(size: int, timestamp: int) -> None:
    checkpoint, note = _note(size)
    line = cosign("w.example/witness", WITNESS_KEY, checkpoint.body(), timestamp)
    assert (
        verify_cosignature(note + line, Witness("w.example/witness", WITNESS_KEY.public_key()))
        == timestamp
    )

"""C2SP tlog-checkpoint bodies: format, strict parsing, and signing as a note by the origin."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from accord.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from accord.ledger.merkle import leaf_hash
from accord.ledger.note import NoteError, Signer, parse_note

V = json.loads((Path(__file__).parents[1] / "vectors" / "checkpoint.json").read_text())
ROOT = bytes(range(32))


def test_go_tree_note_vector() -> None:
    cp = Checkpoint(V["origin"], V["size"], leaf_hash(V["leaf_data"].encode()))
    assert cp.body() == V["body"]
    assert parse_checkpoint(V["body"]) == cp


def test_spec_example_parses() -> None:
    cp = parse_checkpoint(parse_note(V["spec_example"]["note"]).text)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert base64.b64encode(cp.root_hash).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="


def test_extension_lines_round_trip() -> None:
    cp = Checkpoint("example.org/log", 7, ROOT, ("ext one", "ext two"))
    assert parse_checkpoint(cp.body()) == cp


@pytest.mark.parametrize(
    "body",
    [
        "example.org/log\n7\n",
        "example.org/log\n7\n" + base64.b64encode(ROOT).decode(),
        "example.org/log\n07\n" + base64.b64encode(ROOT).decode() + "\n",
        "example.org/log\n-7\n" + base64.b64encode(ROOT).decode() + "\n",
        "example.org/log\n0x7\n" + base64.b64encode(ROOT).decode() + "\n",
        "example.org/log\n\u0667\n" + base64.b64encode(ROOT).decode() + "\n",
        "example.org/log\n7\n" + base64.b64encode(ROOT[:31]).decode() + "\n",
        "example.org/log\n7\nnot base64!\n",
        "\n7\n" + base64.b64encode(ROOT).decode() + "\n",
        "example.org/log\n7\n" + base64.b64encode(ROOT).decode() + "\n\n",
    ],
    ids=[
        "two lines",
        "no final newline",
        "leading zero",
        "negative",
        "hex",
        "arabic digit",
        "short root",
        "bad base64",
        "empty origin",
        "empty extension",
    ],
)
def test_malformed_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


def test_sign_and_open() -> None:
    signer = Signer("example.org/log", Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint("example.org/log", 7, ROOT), signer)
    assert open_checkpoint(note, signer.verifier) == Checkpoint("example.org/log", 7, ROOT)


def test_key_must_be_named_for_origin() -> None:
    signer = Signer("example.org/other", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        sign_checkpoint(Checkpoint("example.org/log", 7, ROOT), signer)


def test_open_refuses_a_checkpoint_of_another_origin() -> None:
    from accord.ledger.note import sign_note

    signer = Signer("example.org/log", Ed25519PrivateKey.generate())
    note = sign_note(Checkpoint("example.org/elsewhere", 7, ROOT).body(), [signer])
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(note, signer.verifier)


def test_open_refuses_a_changed_size() -> None:
    signer = Signer("example.org/log", Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint("example.org/log", 7, ROOT), signer)
    with pytest.raises(NoteError):
        open_checkpoint(note.replace("\n7\n", "\n8\n", 1), signer.verifier)


@given(st.integers(0, 2**63), st.binary(min_size=32, max_size=32))
def test_round_trip(size: int, root: bytes) -> None:
    cp = Checkpoint("example.org/log", size, root)
    assert parse_checkpoint(cp.body()) == cp

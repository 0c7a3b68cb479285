"""C2SP signed-note: the Go reference implementation's vectors, and the refusals it demands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from accord.ledger.note import (
    NoteError,
    Signer,
    Verifier,
    open_note,
    parse_note,
    sign_note,
)

V = json.loads((Path(__file__).parents[1] / "vectors" / "signed_note.json").read_text())
PETER = Verifier.from_key(V["verifier_key"])
ENOCH = Verifier.from_key(V["second_verifier_key"])
PETER_LINE = V["signed"][len(V["text"]) + 1 :]


def test_signing_reproduces_the_reference_note_byte_for_byte() -> None:
    signer = Signer.from_key(V["signer_key"])
    assert signer.verifier.vkey() == V["verifier_key"]
    assert sign_note(V["text"], [signer]) == V["signed"]


def test_verifier_key_round_trips_and_key_id_is_the_spec_hash() -> None:
    assert PETER.vkey() == V["verifier_key"]
    assert PETER.name == "PeterNeumann"
    assert PETER.key_id == 0xC74F20A3


def test_open_returns_text_of_reference_note() -> None:
    assert open_note(V["signed"], [PETER]).text == V["text"]


def test_two_signatures_one_known() -> None:
    message = V["signed"] + V["second_signature_line"]
    assert open_note(message, [PETER]).signers == ("PeterNeumann",)
    assert open_note(message, [PETER, ENOCH]).signers == ("PeterNeumann", "EnochRoot")


def test_no_known_signature_is_refused() -> None:
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(V["signed"], [ENOCH])
    with pytest.raises(NoteError):
        open_note(V["signed"], [])


def test_changed_text_is_refused() -> None:
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(V["signed"].replace("cryptography", "cryptographY"), [PETER])


def test_corrupted_signature_is_refused() -> None:
    peter_sig = PETER_LINE
    bad = V["text"] + "\n" + peter_sig[:60] + "ABCD" + peter_sig[60:]
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(bad, [PETER])


def test_same_name_other_key_is_ignored_not_trusted() -> None:
    impostor = Signer("PeterNeumann", Ed25519PrivateKey.generate())
    forged = sign_note(V["text"], [impostor])
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(forged, [PETER])


@pytest.mark.parametrize(
    "message",
    [
        V["text"],
        V["text"] + "\n",
        V["text"] + "\n" + PETER_LINE[:-1],
        "\x01" + V["text"] + "\n" + PETER_LINE,
        V["text"] + "\n" + PETER_LINE.replace("PeterNeumann", "Bad Name"),
        V["text"] + "\n" + PETER_LINE + "Unexpected line.\n",
        V["text"] + "\n" + PETER_LINE * 101,
    ],
    ids=[
        "text only",
        "no signatures",
        "no final newline",
        "control char",
        "space in name",
        "unexpected line",
        "too many signatures",
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, [PETER])


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        parse_note(b"\xff" + V["signed"].encode())


@pytest.mark.parametrize("vkey", V["bad_verifier_keys"])
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.from_key(vkey)


def test_every_truncation_and_bumped_byte_of_a_verifier_key_is_refused() -> None:
    """As golang.org/x/mod does: no substring and no one-byte change of a key is a key."""
    vkey = V["verifier_key"]
    bad = {vkey[i:j] for i in range(len(vkey) + 1) for j in range(i + 1, len(vkey) + 1)}
    bad |= {vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :] for i in range(len(vkey))}
    bad.discard(vkey)
    for k in bad:
        with pytest.raises((NoteError, ValueError)):
            Verifier.from_key(k)


def test_sign_refuses_text_without_newline() -> None:
    with pytest.raises(NoteError):
        sign_note("abc", [Signer.from_key(V["signer_key"])])


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u2003b"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(NoteError):
        Signer(name, Ed25519PrivateKey.generate())


@given(st.text(alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"])), st.data())
def test_sign_then_open_round_trips(text: str, data: st.DataObject) -> None:
    text = text.replace("\n", "") + "\n"
    key = Ed25519PrivateKey.from_private_bytes(data.draw(st.binary(min_size=32, max_size=32)))
    signer = Signer("example.org/log", key)
    note = sign_note(text, [signer])
    assert open_note(note, [signer.verifier]).text == text
    assert Verifier.from_key(signer.verifier.vkey()).key_id == signer.key_id

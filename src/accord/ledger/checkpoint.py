"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a signed tree head as a note body.

The body is three or more non-empty lines: the log's origin, the tree size in decimal, the
base64 root hash, then optional extension lines::

    example.org/log
    20852163
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

It is signed as a C2SP signed-note by the log's key, whose name is the origin.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from accord.ledger.merkle import HASH_SIZE
from accord.ledger.note import Signer, Verifier, open_note, sign_note


class CheckpointError(ValueError):
    """A checkpoint body is malformed, or is not the one a verified note was expected to carry."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if self.size < 0:
            raise CheckpointError("checkpoint tree size is negative")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("checkpoint extension lines must be single non-empty lines")

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "".join(line + "\n" for line in [*lines, *self.extensions])


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (a note's text, with its final newline)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root hash on non-empty lines")
    origin, size, root_b64, *extensions = lines
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise CheckpointError(f"checkpoint tree size {size!r} is not a plain decimal number")
    try:
        root_hash = base64.b64decode(root_b64, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError("checkpoint root hash is not base64") from None
    if base64.b64encode(root_hash).decode() != root_b64:
        raise CheckpointError("checkpoint root hash is not canonical base64")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of ``checkpoint``; the key name must be the origin."""
    if signer.name != checkpoint.origin:
        raise CheckpointError(f"key {signer.name!r} is not named for origin {checkpoint.origin!r}")
    return sign_note(checkpoint.body(), [signer])


def open_checkpoint(note: str | bytes, verifier: Verifier) -> Checkpoint:
    """Verify the note's signature by ``verifier`` and return the checkpoint it carries.

    Raises unless the signature verifies and the checkpoint's origin is the verifier's name.
    """
    checkpoint = parse_checkpoint(open_note(note, [verifier]).text)
    if checkpoint.origin != verifier.name:
        raise CheckpointError(
            f"checkpoint is for origin {checkpoint.origin!r}, not {verifier.name!r}"
        )
    return checkpoint

"""tus 1.0.0 resumable upload protocol: header values, parsed and checked (pure functions).

https://tus.io/protocols/resumable-upload (core protocol, creation, creation-with-upload,
expiration, termination). The routes are in ``accord.storage.api``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from accord.errors import BadRequest, InvalidInput, UnsupportedMediaType

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,expiration,termination"
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
MAX_METADATA_BYTES = 4096


@dataclass(frozen=True)
class UploadMetadata:
    """What ``Upload-Metadata`` may tell us: name, media type and the file's SHA-256 (hex)."""

    filename: str | None
    media_type: str | None
    sha256: str | None
    pairs: dict[str, str]


def check_version(header: str | None) -> None:
    """Core §Tus-Resumable: every request but OPTIONS names the version; else 412."""
    if header != VERSION:
        raise BadRequest(
            f"this server speaks tus {VERSION}; the request said {header!r}",
            code="storage.tus-version",
            hint=f"send `Tus-Resumable: {VERSION}`",
            status=412,
        )


def parse_count(header: str | None, name: str) -> int:
    """A non-negative integer header (``Upload-Length``, ``Upload-Offset``)."""
    if header is None or _DIGITS.fullmatch(header.strip()) is None:
        raise BadRequest(
            f"the {name} header must be a non-negative integer",
            code="storage.tus-bad-header",
            hint=f"send `{name}: <bytes>`",
        )
    return int(header.strip())


def check_offset_media_type(header: str | None) -> None:
    """Core §PATCH: the body is ``application/offset+octet-stream``; else 415."""
    if (header or "").split(";", 1)[0].strip().lower() != OFFSET_MEDIA_TYPE:
        raise UnsupportedMediaType(
            f"upload bytes must be sent as {OFFSET_MEDIA_TYPE}",
            code="storage.tus-media-type",
        )


def parse_metadata(header: str | None) -> UploadMetadata:
    """Creation §Upload-Metadata: ``key base64value`` pairs separated by commas.

    Known keys: ``filename``, ``filetype`` (or ``content_type``), ``sha256`` (hex digest of the
    whole file, checked on completion). Other keys are kept as given.
    """
    if header is None or not header.strip():
        return UploadMetadata(None, None, None, {})
    if len(header) > MAX_METADATA_BYTES:
        raise _bad_metadata(f"Upload-Metadata is longer than {MAX_METADATA_BYTES} bytes")
    pairs: dict[str, str] = {}
    for item in header.split(","):
        key, value = _metadata_pair(item.strip())
        if key in pairs:
            raise _bad_metadata(f"the key {key!r} appears twice")
        pairs[key] = value
    sha256 = pairs.get("sha256")
    return UploadMetadata(
        filename=pairs.get("filename"),
        media_type=pairs.get("filetype") or pairs.get("content_type"),
        sha256=sha256.lower() if sha256 else None,
        pairs=pairs,
    )


def _metadata_pair(item: str) -> tuple[str, str]:
    key, _, encoded = item.partition(" ")
    if _KEY.fullmatch(key) is None:
        raise _bad_metadata(f"{key[:40]!r} is not a metadata key")
    try:
        value = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _bad_metadata(f"the value of {key!r} is not base64 of UTF-8 text") from None
    return key, value


def encode_metadata(pairs: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def _bad_metadata(reason: str) -> InvalidInput:
    return InvalidInput(
        f"Upload-Metadata is malformed: {reason}",
        code="storage.tus-bad-metadata",
        hint="send `key base64(value)` pairs separated by commas",
    )

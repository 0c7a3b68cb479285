"""HTTP access to a blob's bytes: single byte ranges, ETags, and safe download headers.

RFC 9110 §14 (range requests), §13.1.2 (If-None-Match), §13.1.5 (If-Range), §8.8.3 (ETag);
RFC 6266 + RFC 8187 (Content-Disposition ``filename*``). Who may download is decided by the
caller; this module only shapes the response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from accord.errors import RangeNotSatisfiable
from accord.storage.blobs import BlobInfo, BlobStore

PROBLEM_JSON = "application/problem+json"
RESPONSE_CHUNK = 4 << 20  # fewer thread hops per GiB; memory per download stays a few MiB
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start..end`` inclusive of a representation of ``size`` bytes."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The Range header is valid but selects no byte of the representation (→ 416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """RFC 9110 §14.1.2: one ``bytes=`` range resolved against ``size``.

    ``None`` means "send the whole representation": no header, a syntax error, another unit,
    or several ranges (which a server may ignore, §14.2). Raises ``Unsatisfiable``.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        return _suffix_range(last, size)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def _suffix_range(last: str, size: int) -> ByteRange | None:
    if last == "":
        return None
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise Unsatisfiable
    return ByteRange(max(size - suffix, 0), size - 1)


def blob_response(
    request: Request, store: BlobStore, blob: BlobInfo, *, media_type: str, filename: str
) -> Response:
    """200, 206 (one byte range), 304 (If-None-Match) or 416 (problem+json) for a blob."""
    etag = f'"{blob.sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "Content-Disposition": content_disposition(filename),
    }
    if _none_match(request.headers.get("if-none-match"), blob.sha256):
        return Response(status_code=304, headers=headers)
    try:
        byte_range = _requested_range(request, blob, etag)
    except Unsatisfiable:
        return _unsatisfiable(request, blob.size)
    status = 200 if byte_range is None else 206
    span = byte_range or ByteRange(0, blob.size - 1)
    headers["Content-Length"] = str(max(span.length, 0))
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {span.start}-{span.end}/{blob.size}"
    if request.method == "HEAD" or blob.size == 0:
        return Response(status_code=status, headers=headers, media_type=media_type)
    body = store.read_range(blob.sha256, span.start, span.end, chunk_size=RESPONSE_CHUNK)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=media_type)


def _requested_range(request: Request, blob: BlobInfo, etag: str) -> ByteRange | None:
    if request.method not in {"GET", "HEAD"}:
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    return parse_range(request.headers.get("range"), blob.size)


def _none_match(header: str | None, sha256: str) -> bool:
    """§13.1.2 weak comparison against the one current ETag."""
    if header is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or f'"{sha256}"' in tags


def _unsatisfiable(request: Request, size: int) -> Response:
    error = RangeNotSatisfiable(
        f"the requested range is outside the file's {size} bytes",
        code="storage.range-not-satisfiable",
        hint="ask for bytes between 0 and the file's size minus one",
    )
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=416,
        media_type=PROBLEM_JSON,
        headers={"Content-Range": f"bytes */{size}"},
    )


def content_disposition(filename: str) -> str:
    """RFC 6266 ``attachment`` with an ASCII fallback and an RFC 8187 UTF-8 ``filename*``."""
    name = filename.rsplit("/", 1)[-1] or "download"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"

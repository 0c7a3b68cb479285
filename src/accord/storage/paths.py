"""Safe file names: the relative paths a dataset's files may carry.

A name is a relative POSIX path of one or more segments. It is refused (never silently fixed)
when it could escape a directory or confuse a file system or a terminal.
"""

from __future__ import annotations

import unicodedata

from accord.errors import FieldError, InvalidInput

MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})


def safe_file_path(name: str) -> str:
    """The NFC-normalised relative POSIX path ``name``, or ``InvalidInput(storage.unsafe-path)``.

    Refused: empty names, absolute paths, backslashes, ``.`` or ``..`` segments, empty segments
    (``a//b``, a trailing ``/``), NUL, control, format, private-use, unassigned and line
    separator characters (Unicode Cc, Cf, Cs, Co, Cn, Zl, Zp; the ZWNJ/ZWJ joiners stay),
    segments over 255 bytes and paths over 1024 bytes of UTF-8.
    """
    path = unicodedata.normalize("NFC", name)
    reason = _unsafe_reason(path)
    if reason is not None:
        raise InvalidInput(
            f"the file name {name!r} is not allowed: {reason}",
            code="storage.unsafe-path",
            hint="use a relative path like `data/table.csv` with plain segments",
            errors=[FieldError("path", reason)],
        )
    return path


def _unsafe_reason(path: str) -> str | None:
    if not path:
        return "the name is empty"
    if len(path.encode()) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    if any(_is_control(ch) for ch in path):
        return "the name contains NUL, control or unassigned characters"
    if "\\" in path:
        return "the name contains a backslash"
    if path.startswith("/"):
        return "absolute paths are not allowed"
    return next((r for r in map(_segment_reason, path.split("/")) if r is not None), None)


def _segment_reason(segment: str) -> str | None:
    if not segment:
        return "the path has an empty segment"
    if segment in {".", ".."}:
        return f"the segment {segment!r} is not allowed"
    if len(segment.encode()) > MAX_SEGMENT_BYTES:
        return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def _is_control(ch: str) -> bool:
    """Controls, format (bidi overrides), unassigned, separators; ZWNJ/ZWJ stay (Persian)."""
    return ch not in _JOINERS and unicodedata.category(ch) in _CONTROL_CATEGORIES

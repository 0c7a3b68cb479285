"""Which files of a version are tables, what they are called in SQL, and where their bytes are.

CSV (``.csv``, ``.tsv``, optionally gzipped) and Parquet files become tables named after the
file (``data/Survey 2021.csv`` → ``survey_2021``); other files are not visible in the sandbox.
A table reads a local file: the blob itself for the local store, a cached copy otherwise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from accord.storage.blobs import BlobStore, LocalBlobStore

Format = Literal["csv", "tsv", "parquet"]
_SUFFIXES: tuple[tuple[str, Format, str | None], ...] = (
    (".parquet", "parquet", None),
    (".pq", "parquet", None),
    (".csv", "csv", None),
    (".csv.gz", "csv", "gzip"),
    (".tsv", "tsv", None),
    (".tsv.gz", "tsv", "gzip"),
)
_MEDIA_TYPES: dict[str, Format] = {
    "application/vnd.apache.parquet": "parquet",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_NOT_WORD = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class TabularFile:
    """A file of the version that the sandbox exposes as a table."""

    table: str
    file_id: str
    path: str
    sha256: str
    size: int
    format: Format
    compression: str | None


@dataclass(frozen=True)
class TableSource:
    """A table as a query process sees it: a name and a local, readable file."""

    table: str
    location: str
    format: Format
    compression: str | None


class FileLike(Protocol):
    """What ``tabular_files`` needs of a catalog file (``accord.catalog.models.DatasetFile``)."""

    @property
    def id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def media_type(self) -> str: ...


def tabular_files(files: Iterable[FileLike]) -> list[TabularFile]:
    """The version's files that are tables, with unique SQL names, in path order."""
    found: list[TabularFile] = []
    taken: set[str] = set()
    for file in sorted(files, key=lambda f: f.path):
        kind = format_of(file.path, file.media_type)
        if kind is None:
            continue
        name = _unique(table_name(file.path), taken)
        taken.add(name)
        found.append(
            TabularFile(name, file.id, file.path, file.sha256, file.size, kind[0], kind[1])
        )
    return found


def format_of(path: str, media_type: str) -> tuple[Format, str | None] | None:
    """The table format (and compression) of a file, from its name, else its media type."""
    lower = path.lower()
    for suffix, kind, compression in sorted(_SUFFIXES, key=lambda s: -len(s[0])):
        if lower.endswith(suffix):
            return kind, compression
    media = _MEDIA_TYPES.get(media_type)
    return (media, None) if media is not None else None


def table_name(path: str) -> str:
    """A SQL identifier from a file name: lower case, words joined by ``_``, no suffix."""
    name = path.rsplit("/", 1)[-1].lower()
    for suffix, _kind, _compression in sorted(_SUFFIXES, key=lambda s: -len(s[0])):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = _NOT_WORD.sub("_", name).strip("_") or "table"
    return f"t_{name}" if name[0].isdigit() else name[:60]


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def local_sources(
    tables: Sequence[TabularFile], store: BlobStore, cache_dir: Path
) -> list[TableSource]:
    """Local files for the tables: the blobs themselves, or copies in ``cache_dir``."""
    return [
        TableSource(t.table, str(local_copy(store, t.sha256, cache_dir)), t.format, t.compression)
        for t in tables
    ]


def local_copy(store: BlobStore, sha256: str, cache_dir: Path) -> Path:
    """A local path holding blob ``sha256``; remote blobs are copied once into ``cache_dir``."""
    if isinstance(store, LocalBlobStore):
        return store.path_of(sha256)
    target = cache_dir / sha256
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".{sha256}.{os.getpid()}.part"
    with partial.open("wb") as out:
        for chunk in store.read_range(sha256):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return target

"""Tabular files in and out: CSV (RFC 4180, header row) and Apache Parquet.

CSV columns are read as text, so that values a derivation keeps leave byte for byte as they
came in (leading zeros of codes included); rules that need numbers or dates parse them
(``encode.py``). The derived file has the source's format.
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from accord.errors import InvalidInput
from accord.storage.blobs import BlobStore, LocalBlobStore

Format = Literal["csv", "parquet"]
MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
_BY_MEDIA_TYPE: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.apache.parquet": "parquet",
    "application/x-parquet": "parquet",
}
_BY_SUFFIX: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def format_of(path: str, media_type: str) -> Format | None:
    """The file's tabular format by media type, else by suffix; None if it is not tabular."""
    found = _BY_MEDIA_TYPE.get(media_type.split(";")[0].strip().lower())
    return found or _BY_SUFFIX.get(Path(path).suffix.lower())


def read_table(path: Path, fmt: Format) -> pa.Table:
    """The whole table; a file that cannot be read is ``InvalidInput(deid.unreadable-source)``."""
    try:
        return _read_csv(path) if fmt == "csv" else pq.read_table(path)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(
            f"the source file cannot be read as {fmt}: {str(error)[:200]}",
            code="deid.unreadable-source",
            hint="check that the file is a well-formed CSV with a header row, or Parquet",
        ) from None


def write_table(table: pa.Table, fmt: Format, destination: Path) -> None:
    if fmt == "csv":
        pacsv.write_csv(table, destination, pacsv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(table, destination)


@contextmanager
def local_copy(store: BlobStore, sha256: str) -> Iterator[Path]:
    """A local path holding the blob's bytes: the blob itself in a local store, else a
    temporary copy removed afterwards."""
    if isinstance(store, LocalBlobStore):
        yield store.path_of(sha256)
        return
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as folder:
        path = Path(folder) / "source"
        with path.open("wb") as handle:
            for chunk in store.read_range(sha256):
                handle.write(chunk)
        yield path


def _read_csv(path: Path) -> pa.Table:
    header = _header(path)
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
    )
    return pacsv.read_csv(path, convert_options=options)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if not header or any(not name.strip() for name in header):
        raise InvalidInput(
            "the CSV source needs a header row naming every column",
            code="deid.unreadable-source",
        )
    twice = [name for name, n in Counter(header).items() if n > 1]
    if twice:
        raise InvalidInput(
            f"the CSV header names columns twice: {', '.join(twice[:5])}",
            code="deid.unreadable-source",
        )
    return header

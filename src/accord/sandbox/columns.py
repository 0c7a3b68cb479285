"""The columns of a version's tables: names and types, never values.

The query page shows them, so that a researcher can write SQL without seeing any data. A file's
columns are read once (DuckDB reads a Parquet footer, or sniffs a CSV sample, in a locked
database with one thread and a small memory limit) and kept in the data dir under the file's
SHA-256 (``sandbox/columns/<sha256>.<format>.json``): blobs never change, so neither do their
columns. The cache is derived from stored bytes, not a change of the node's state.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy.orm import Session

from accord.catalog.models import DatasetVersion
from accord.node import NodeContext, node_of
from accord.sandbox.engine import EngineLimits, describe, open_locked
from accord.sandbox.tables import TabularFile, local_sources, tabular_files
from accord.storage.blobs import blob_store_of


@dataclass(frozen=True)
class TableInfo:
    table: str
    path: str
    format: str
    size: int
    columns: list[dict[str, str]]
    error: str | None = None


def tables_of(session: Session, version: DatasetVersion) -> list[TableInfo]:
    """Every table of the version with its columns (read now if never read before)."""
    node = node_of(session)
    return [_info(node, table) for table in tabular_files(version.files)]


def _info(node: NodeContext, table: TabularFile) -> TableInfo:
    cache = node.settings.data_dir / "sandbox" / "columns" / f"{table.sha256}.{table.format}.json"
    if cache.is_file():
        columns: list[dict[str, str]] = json.loads(cache.read_text())
        return TableInfo(table.table, table.path, table.format, table.size, columns)
    try:
        columns = _read_columns(node, table)
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        return TableInfo(table.table, table.path, table.format, table.size, [], message[:300])
    _write(cache, columns)
    return TableInfo(table.table, table.path, table.format, table.size, columns)


def _read_columns(node: NodeContext, table: TabularFile) -> list[dict[str, str]]:
    cache_dir = node.settings.data_dir / "sandbox" / "cache"
    sources = local_sources([table], blob_store_of(node), cache_dir)
    with tempfile.TemporaryDirectory(prefix="accord-describe-") as spill:
        con = open_locked(sources, EngineLimits(1, "256MB", 64), spill)
        try:
            return describe(con, table.table)
        finally:
            con.close()


def _write(path: Path, columns: list[dict[str, str]]) -> None:
    """Write the cache file whole or not at all (a temporary name, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(json.dumps(columns))
    os.replace(partial, path)

"""The columns of a version's tables: names and types, never values.

The query page shows them, so that a researcher can write SQL without seeing any data. A file's
columns are read once (DuckDB reads a Parquet footer, or sniffs a CSV sample, in a locked
database with one thread and a small memory limit) and kept by the file's SHA-256: files never
change, so neither do their columns.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import duckdb
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.catalog.models import DatasetVersion
from accord.node import node_of
from accord.sandbox.engine import EngineLimits, describe, open_locked
from accord.sandbox.models import TableSchema
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
    return [_info(session, table) for table in tabular_files(version.files)]


def _info(session: Session, table: TabularFile) -> TableInfo:
    cached = session.get(TableSchema, (table.sha256, table.format))
    if cached is not None:
        return TableInfo(table.table, table.path, table.format, table.size, cached.columns)
    try:
        columns = _read_columns(session, table)
    except duckdb.Error as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        return TableInfo(table.table, table.path, table.format, table.size, [], message[:300])
    _remember(session, table, columns)
    return TableInfo(table.table, table.path, table.format, table.size, columns)


def _read_columns(session: Session, table: TabularFile) -> list[dict[str, str]]:
    node = node_of(session)
    sources = local_sources([table], blob_store_of(node), node.settings.data_dir / "sandbox")
    with tempfile.TemporaryDirectory(prefix="accord-describe-") as spill:
        con = open_locked(sources, EngineLimits(1, "256MB", spill, 64))
        try:
            return describe(con, table.table)
        finally:
            con.close()


def _remember(session: Session, table: TabularFile, columns: list[dict[str, str]]) -> None:
    """Cache the columns in a transaction of their own (the caller may only be reading).

    A cache of what the bytes say is not a state change of the node, so it is not logged; a
    concurrent reader may have cached the same columns first, which is fine.
    """
    node = node_of(session)
    with node.session() as own:
        own.add(
            TableSchema(
                sha256=table.sha256,
                format=table.format,
                columns=columns,
                created_at=node.clock.now(),
            )
        )
        try:
            own.commit()
        except IntegrityError:
            own.rollback()

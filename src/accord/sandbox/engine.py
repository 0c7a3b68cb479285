"""The locked-down DuckDB a job runs in: fresh, in memory, able to read only its own tables.

Order matters: limits and the allowed files are set while the configuration is open, then
external access is switched off, the tables are created as read-only views over their files,
and finally the configuration is locked so that no statement can change any of it. With
external access off DuckDB refuses every path outside ``allowed_paths`` (``read_csv('/etc/…')``,
``COPY … TO``, ``ATTACH``, URLs) and every extension install or load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from accord.sandbox.tables import TableSource


@dataclass(frozen=True)
class EngineLimits:
    """What one query may use: DuckDB threads, DuckDB memory, spill space."""

    threads: int
    memory_limit: str
    temp_limit_mb: int


def open_locked(
    tables: Sequence[TableSource], limits: EngineLimits, temp_directory: str
) -> duckdb.DuckDBPyConnection:
    """A new in-memory database exposing ``tables`` as views, every setting locked."""
    con = open_engine(limits)
    try:
        lock_down(con, tables, temp_directory)
    except BaseException:
        con.close()
        raise
    return con


def open_engine(limits: EngineLimits) -> duckdb.DuckDBPyConnection:
    """A new in-memory database with its limits set and nothing to read yet (not locked)."""
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": limits.threads,
            "memory_limit": limits.memory_limit,
            "max_temp_directory_size": f"{limits.temp_limit_mb}MB",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "allow_persistent_secrets": False,
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET python_enable_replacements = false")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def lock_down(
    con: duckdb.DuckDBPyConnection, tables: Sequence[TableSource], temp_directory: str
) -> None:
    """Allow exactly the tables' files, switch external access off, create the views, lock."""
    con.execute(f"SET temp_directory = {literal(temp_directory)}")
    con.execute(f"SET allowed_paths = [{', '.join(literal(t.location) for t in tables)}]")
    con.execute("SET enable_external_access = false")
    for table in tables:
        # the name and the path are quoted by identifier() and literal()
        view = f"CREATE VIEW {identifier(table.table)} AS SELECT * FROM {_reader(table)}"  # noqa: S608
        con.execute(view)
    con.execute("SET lock_configuration = true")


def _reader(table: TableSource) -> str:
    path = literal(table.location)
    if table.format == "parquet":
        return f"read_parquet({path})"
    options = [path, "header = true"]
    if table.format == "tsv":
        options.append("delim = '\t'")
    if table.compression:
        options.append(f"compression = {literal(table.compression)}")
    return f"read_csv({', '.join(options)})"


def describe(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, str]]:
    """Column names and types of a table (never values)."""
    rows = con.execute(f"DESCRIBE {identifier(table)}").fetchall()
    return [{"name": str(row[0]), "type": str(row[1])} for row in rows]


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

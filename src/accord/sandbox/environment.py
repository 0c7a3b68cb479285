"""What a job runs on, named in its record so that it can be re-run: the query engine and the
libraries that shape results, the node software, and the dataset version with the digest of
each table's file."""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable
from importlib import metadata
from typing import Any

import duckdb

from accord import __version__
from accord.sandbox.tables import FileLike, tabular_files

LIBRARIES = ("duckdb", "pyarrow", "opendp", "numpy")
"""Distributions whose versions can change a job's result (parsing, running, noise)."""


def job_environment(pid: str, files: Iterable[FileLike]) -> dict[str, Any]:
    """The environment record of a job about the version ``pid`` with ``files``."""
    return {
        "engine": {"name": "duckdb", "version": duckdb.__version__},
        "libraries": dict(_versions(LIBRARIES)),
        "accord": __version__,
        "python": platform.python_version(),
        "dataset": {
            "pid": pid,
            "tables": {t.table: {"path": t.path, "sha256": t.sha256} for t in tabular_files(files)},
        },
    }


@functools.cache
def _versions(names: tuple[str, ...]) -> dict[str, str]:
    """The installed versions, read once per process: a process keeps running the libraries it
    imported, whatever is installed later, and reading package metadata costs milliseconds."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found

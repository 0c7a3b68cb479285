"""Small synthetic tables for demo datasets, generated deterministically from a seed.

A table is described by columns (a name and a generator); the same seed always gives the same
rows, the same CSV bytes and the same Parquet bytes (pyarrow, no timestamps in the file), so a
demo node's blobs and manifests are reproducible. Nothing here resembles real people.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

Value = str | int | float
Generator = Callable[[random.Random, int], Value]


@dataclass(frozen=True)
class Column:
    name: str
    generate: Generator


def sequence(prefix: str) -> Generator:
    return lambda _rng, row: f"{prefix}{row + 1:05d}"


def choice(values: Sequence[str], weights: Sequence[float] | None = None) -> Generator:
    return lambda rng, _row: rng.choices(list(values), weights=weights)[0]


def integer(low: int, high: int) -> Generator:
    return lambda rng, _row: rng.randint(low, high)


def decimal(low: float, high: float, places: int = 2) -> Generator:
    return lambda rng, _row: round(rng.uniform(low, high), places)


def count(mean: float) -> Generator:
    """A non-negative count around ``mean`` (rounded normal; enough for demo data)."""
    return lambda rng, _row: max(0, round(rng.gauss(mean, mean**0.5 + 1)))


def day(start: date, span_days: int) -> Generator:
    return lambda rng, _row: (start + timedelta(days=rng.randrange(span_days))).isoformat()


def yes_no(p_yes: float) -> Generator:
    return lambda rng, _row: "yes" if rng.random() < p_yes else "no"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: int

    def generate(self, seed: int) -> list[list[Value]]:
        rng = random.Random(seed)
        return [[c.generate(rng, i) for c in self.columns] for i in range(self.rows)]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def to_csv(table: Table, rows: list[list[Value]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.names)
    writer.writerows(rows)
    return out.getvalue().encode()


def to_parquet(table: Table, rows: list[list[Value]]) -> bytes:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.names]
    arrow = pa.table(
        {name: list(values) for name, values in zip(table.names, columns, strict=True)}
    )
    out = io.BytesIO()
    pq.write_table(arrow, out, compression="zstd")
    return out.getvalue()

"""Differentially private measurements: counts, sums, means and histograms with OpenDP.

The unit of privacy is one row of the table (neighbouring data sets differ by one row added or
removed). The sandbox computes the exact aggregate in DuckDB over values clamped to the bounds
the researcher declares (never to bounds read from the data), in exact integer arithmetic:
values are scaled to a fixed-point integer, so that a sum is a sum of bounded integers. OpenDP
gives the sensitivity (the stability map of ``make_count``, ``make_sum`` or
``make_count_by_categories`` at distance 1) and adds discrete Laplace noise
(``make_laplace`` over 64-bit integers, whose privacy map the code checks against the epsilon it
spends). A mean spends half its epsilon on the sum and half on the count, and releases both the
mean and that noisy count. Each value carries a 95% error bound
(``discrete_laplacian_scale_to_accuracy``); the result carries its epsilon.

Reference: OpenDP Library 0.16, ``opendp.measurements.make_laplace``; Dwork and Roth, *The
Algorithmic Foundations of Differential Privacy* (2014), §3.3.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

import opendp.prelude as dp
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accord.i18n.translate import N_, _l
from accord.sandbox.engine import identifier, literal

dp.enable_features("contrib")

CONFIDENCE = 0.95
COLUMNS = ("statistic", "value", "plus_minus")
MAX_CATEGORIES = 1000
_FIXED_POINT_LIMIT = 2**31
_MAX_ROWS = 2**31

Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Scalar = Annotated[str, StringConstraints(max_length=500)] | int | float | bool


class Measure(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    HISTOGRAM = "histogram"


class Condition(BaseModel):
    """A filter on one column of the row itself (row-level filters keep the sensitivity)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: Name
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Scalar


class DpQuery(BaseModel):
    """A DP measurement as a researcher asks for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: Measure
    table: Name
    column: Name | None = None
    bounds: tuple[float, float] | None = Field(
        default=None, description="Declared lower and upper bound of the column (sum, mean)"
    )
    categories: list[Scalar] | None = Field(
        default=None, max_length=MAX_CATEGORIES, description="Histogram bins by value"
    )
    bin_edges: list[float] | None = Field(
        default=None, min_length=2, max_length=MAX_CATEGORIES + 1, description="Histogram bins"
    )
    where: list[Condition] = Field(default_factory=list, max_length=20)
    epsilon: float = Field(gt=0, le=10)

    @model_validator(mode="after")
    def _complete(self) -> DpQuery:
        numeric = self.measure in {Measure.SUM, Measure.MEAN}
        if (numeric or self.measure is Measure.HISTOGRAM) and self.column is None:
            raise ValueError(_l("a %(measure)s needs a column", measure=self.measure.value))
        if numeric:
            _check_bounds(self.bounds)
        if self.measure is Measure.HISTOGRAM and (self.categories is None) == (
            self.bin_edges is None
        ):
            raise ValueError(N_("a histogram needs either categories or bin_edges"))
        if self.bin_edges is not None:
            _check_edges(self.bin_edges)
        return self

    @property
    def labels(self) -> list[str]:
        """The histogram's bins as people read them; the last is for everything else."""
        if self.categories is not None:
            return [str(c) for c in self.categories] + ["(other)"]
        edges = self.bin_edges or []
        bins = [f"[{a:g}, {b:g})" for a, b in itertools.pairwise(edges)]
        if bins:
            bins[-1] = bins[-1][:-1] + "]"
        return [*bins, "(other)"]


def _check_bounds(bounds: tuple[float, float] | None) -> None:
    if bounds is None:
        raise ValueError(N_("declare the column's bounds [lower, upper]"))
    lower, upper = bounds
    if not (math.isfinite(lower) and math.isfinite(upper)) or lower >= upper:
        raise ValueError(N_("bounds must be finite with lower < upper"))
    if max(abs(lower), abs(upper)) > 1e15:
        raise ValueError(N_("bounds must lie within ±1e15"))


def _check_edges(edges: list[float]) -> None:
    if any(not math.isfinite(e) for e in edges) or any(
        a >= b for a, b in itertools.pairwise(edges)
    ):
        raise ValueError(N_("bin_edges must be finite and strictly increasing"))


# --- the exact aggregate, in SQL ---------------------------------------------------------------


def scale_digits(bounds: tuple[float, float]) -> int:
    """Decimal digits kept in the fixed-point integers: as many as keep |value| under 2^31."""
    largest = max(abs(bounds[0]), abs(bounds[1]), 1e-12)
    return max(0, min(6, math.floor(math.log10(_FIXED_POINT_LIMIT / largest))))


def aggregate_sql(query: DpQuery) -> str:
    """The exact (not yet private) aggregate the measurement needs, as one SELECT."""
    source = f"FROM {identifier(query.table)}{_where(query.where)}"
    if query.measure is Measure.COUNT:
        counted = "*" if query.column is None else identifier(query.column)
        return f"SELECT count({counted}) {source}"
    column = identifier(query.column or "")
    if query.measure is Measure.HISTOGRAM:
        return f"SELECT {_bin(query, column)} AS bin, count(*) {source} GROUP BY 1"
    assert query.bounds is not None
    lower, upper = (float(b) for b in query.bounds)
    factor = 10 ** scale_digits(query.bounds)
    clamped = (  # NULL stays NULL (no branch matches), so it is neither counted nor summed
        f"CASE WHEN {column} BETWEEN {lower!r} AND {upper!r} THEN CAST({column} AS DOUBLE) "
        f"WHEN {column} < {lower!r} THEN {lower!r} WHEN {column} > {upper!r} THEN {upper!r} END"
    )
    fixed = f"CAST({clamped} * {factor} AS BIGINT)"  # a cast to an integer rounds
    # Each term lies within ±2^31 (scale_digits) and ``release`` refuses 2^31 rows or more,
    # so the sum stays within ±2^62: DuckDB's sum without overflow checks is exact here.
    return f"SELECT count({column}), sum_no_overflow({fixed}) {source}"


def _where(conditions: list[Condition]) -> str:
    if not conditions:
        return ""
    parts = [f"{identifier(c.column)} {c.op} {_value(c.value)}" for c in conditions]
    return " WHERE " + " AND ".join(parts)


def _value(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(N_("filter values must be finite"))
        return repr(value)
    return literal(value)


def _bin(query: DpQuery, column: str) -> str:
    if query.categories is not None:
        cases = [f"WHEN {column} = {_value(c)} THEN {i}" for i, c in enumerate(query.categories)]
    else:
        edges = query.bin_edges or []
        last = len(edges) - 2
        cases = [
            f"WHEN {column} >= {a!r} AND {column} {'<=' if i == last else '<'} {b!r} THEN {i}"
            for i, (a, b) in enumerate(itertools.pairwise(edges))
        ]
    return f"CASE {' '.join(cases)} ELSE -1 END"


# --- the private release, with OpenDP -------------------------------------------------------


@dataclass(frozen=True)
class DpResult:
    """A noisy answer: the values, the epsilon spent, and a 95% error bound per value."""

    measure: Measure
    epsilon: float
    columns: tuple[str, ...]
    rows: list[list[Any]]
    scale: float

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure.value,
            "epsilon": self.epsilon,
            "confidence": CONFIDENCE,
            "noise": "discrete Laplace (OpenDP)",
            "noise_scale": self.scale,
        }


def release(query: DpQuery, rows: list[tuple[Any, ...]]) -> DpResult:
    """Add noise to the exact aggregate ``rows`` (from ``aggregate_sql``)."""
    if query.measure is Measure.COUNT:
        count = _count(rows[0][0])
        noisy, scale, error = _noisy_int(count, _count_sensitivity(), query.epsilon)
        return DpResult(
            query.measure, query.epsilon, COLUMNS, [["count", max(0, noisy), error]], scale
        )
    if query.measure is Measure.HISTOGRAM:
        return _histogram(query, rows)
    return _sum_or_mean(query, rows[0])


def _sum_or_mean(query: DpQuery, row: tuple[Any, ...]) -> DpResult:
    assert query.bounds is not None
    factor = 10 ** scale_digits(query.bounds)
    count, total = _count(row[0]), int(row[1] or 0)
    low, high = (round(b * factor) for b in query.bounds)
    sensitivity = _sum_sensitivity(low, high)
    if query.measure is Measure.SUM:
        noisy, scale, error = _noisy_int(total, sensitivity, query.epsilon)
        rows = [["sum", noisy / factor, error / factor]]
        return DpResult(query.measure, query.epsilon, COLUMNS, rows, scale / factor)
    half = query.epsilon / 2
    noisy_total, scale, total_error = _noisy_int(total, sensitivity, half)
    noisy_count, _, count_error = _noisy_int(count, _count_sensitivity(), half)
    mean = (noisy_total / factor) / max(noisy_count, 1)
    mean = min(max(mean, query.bounds[0]), query.bounds[1])
    error = (total_error / factor + abs(mean) * count_error) / max(noisy_count - count_error, 1)
    rows = [["mean", mean, error], ["count", max(0, noisy_count), count_error]]
    return DpResult(query.measure, query.epsilon, COLUMNS, rows, scale / factor)


def _histogram(query: DpQuery, rows: list[tuple[Any, ...]]) -> DpResult:
    labels = query.labels
    exact = [0] * len(labels)
    for bin_index, count in rows:
        exact[int(bin_index) if int(bin_index) >= 0 else len(labels) - 1] += _count(count)
    sensitivity = _histogram_sensitivity(len(labels) - 1)
    scale = sensitivity / query.epsilon
    measurement: Any = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale=scale
    )
    _check_privacy(measurement.map(sensitivity), query.epsilon)
    noisy = measurement(exact)
    error = dp.discrete_laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE)
    table = [[label, max(0, int(value)), error] for label, value in zip(labels, noisy, strict=True)]
    return DpResult(query.measure, query.epsilon, ("bin", "count", "plus_minus"), table, scale)


def _noisy_int(value: int, sensitivity: int, epsilon: float) -> tuple[int, float, float]:
    """``value`` plus discrete Laplace noise for ``epsilon``; the noise scale and 95% error."""
    measurement, scale, error = _laplace(sensitivity, epsilon)
    return int(measurement(value)), scale, error


@functools.lru_cache(maxsize=256)
def _laplace(sensitivity: int, epsilon: float) -> tuple[Any, float, float]:
    """The checked discrete Laplace measurement for one (sensitivity, epsilon) shape, its scale
    and its 95% error; built once per shape (each use still draws fresh noise)."""
    scale = sensitivity / epsilon
    measurement: Any = dp.m.make_laplace(
        dp.atom_domain(T="i64"), dp.absolute_distance(T="i64"), scale=scale
    )
    _check_privacy(measurement.map(sensitivity), epsilon)
    error = float(dp.discrete_laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE))
    return measurement, scale, error


@functools.cache
def _count_sensitivity() -> int:
    count: Any = dp.t.make_count(dp.vector_domain(dp.atom_domain(T=bool)), dp.symmetric_distance())
    return int(count.map(1))


@functools.lru_cache(maxsize=256)
def _sum_sensitivity(low: int, high: int) -> int:
    domain = dp.vector_domain(dp.atom_domain(bounds=(low, high), T="i64"))
    total: Any = dp.t.make_sum(domain, dp.symmetric_distance())
    return int(total.map(1))


@functools.lru_cache(maxsize=256)
def _histogram_sensitivity(categories: int) -> int:
    counts: Any = dp.t.make_count_by_categories(
        dp.vector_domain(dp.atom_domain(T="i64")),
        dp.symmetric_distance(),
        categories=list(range(categories)),
        MO=dp.L1Distance[int],
    )
    return int(counts.map(1))


def _check_privacy(spent: float, epsilon: float) -> None:
    if spent > epsilon * (1 + 1e-9):
        raise RuntimeError(f"the measurement would spend {spent}, more than {epsilon}")


def _count(value: Any) -> int:
    count = int(value or 0)
    if count >= _MAX_ROWS:
        raise ValueError(N_("more rows than the measurement supports"))
    return count

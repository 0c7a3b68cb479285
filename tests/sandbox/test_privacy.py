"""Differentially private measurements: what may be asked, the exact aggregate they need, and
the noisy answer with its epsilon and error bound."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pydantic import ValidationError

from accord.sandbox import privacy
from accord.sandbox.privacy import DpQuery, Measure, aggregate_sql, release, scale_digits
from tests.sandbox.conftest import people_rows

PEOPLE = pa.table(
    dict(
        zip(
            ["id", "region", "sex", "age", "income"],
            zip(*people_rows(), strict=True),
            strict=True,
        )
    )
)


def exact(query: DpQuery) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    con.from_arrow(PEOPLE).create("people")
    return con.execute(aggregate_sql(query)).fetchall()


INVALID = [
    ({"measure": "sum", "table": "people", "column": "age", "epsilon": 1}, "bounds"),
    ({"measure": "mean", "table": "people", "bounds": [0, 1], "epsilon": 1}, "needs a column"),
    (
        {"measure": "mean", "table": "people", "column": "age", "bounds": [5, 5], "epsilon": 1},
        "lower < upper",
    ),
    ({"measure": "histogram", "table": "people", "column": "region", "epsilon": 1}, "either"),
    (
        {
            "measure": "histogram",
            "table": "people",
            "column": "age",
            "bin_edges": [10, 5],
            "epsilon": 1,
        },
        "strictly increasing",
    ),
    ({"measure": "count", "table": "people", "epsilon": 0}, "greater than 0"),
    ({"measure": "count", "table": "people", "epsilon": 50}, "less than or equal to 10"),
    ({"measure": "median", "table": "people", "epsilon": 1}, "measure"),
]


@pytest.mark.parametrize(("spec", "message"), INVALID)
def test_incomplete_measurements_are_refused(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        DpQuery.model_validate(spec)
    assert message in str(invalid.value)


def test_fixed_point_digits_keep_values_under_two_to_the_31() -> None:
    assert scale_digits((0, 100)) == 6
    assert scale_digits((0, 200_000)) == 4
    assert scale_digits((-5e9, 5e9)) == 0


def test_the_exact_aggregates_clamp_to_the_declared_bounds() -> None:
    query = DpQuery(
        measure=Measure.SUM,
        table="people",
        column="income",
        bounds=(0, 100_000),
        where=[{"column": "region", "op": "=", "value": "west"}],
        epsilon=1,
    )
    count, total = exact(query)[0]
    assert count == 20
    incomes = [r[4] for r in people_rows() if r[1] == "west"]
    factor = 10 ** scale_digits((0, 100_000))
    assert total == sum(round(min(i, 100_000) * factor) for i in incomes)


def test_missing_values_are_neither_counted_nor_summed_and_both_bounds_clamp() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1.5), (NULL), (-3.0), (250.0)) v(x)")
    query = DpQuery(measure=Measure.MEAN, table="t", column="x", bounds=(0, 200), epsilon=1)
    count, total = con.execute(aggregate_sql(query)).fetchall()[0]
    factor = 10 ** scale_digits((0, 200))
    assert (count, total) == (3, round((1.5 + 0 + 200) * factor))


def test_filters_are_quoted_values_and_column_names() -> None:
    query = DpQuery(
        measure=Measure.COUNT,
        table="people",
        where=[{"column": "region", "op": "=", "value": "x' OR '1'='1"}],
        epsilon=1,
    )
    assert exact(query) == [(0,)]


def test_a_generous_epsilon_gives_an_answer_near_the_truth() -> None:
    query = DpQuery(measure=Measure.MEAN, table="people", column="age", bounds=(18, 90), epsilon=10)
    result = release(query, exact(query))
    (name, mean, error), (also, count, count_error) = result.rows
    truth = sum(r[3] for r in people_rows()) / len(people_rows())
    assert result.columns == ("statistic", "value", "plus_minus")
    assert (name, also) == ("mean", "count")
    assert 0 < error < 5
    assert abs(mean - truth) < 10 * error
    assert abs(count - 118) < 10 * count_error
    assert result.as_json()["epsilon"] == 10


def test_a_histogram_has_one_noisy_count_per_declared_bin() -> None:
    query = DpQuery(
        measure=Measure.HISTOGRAM,
        table="people",
        column="age",
        bin_edges=[20, 40, 70],
        epsilon=5,
    )
    assert query.labels == ["[20, 40)", "[40, 70]", "(other)"]
    result = release(query, exact(query))
    assert [row[0] for row in result.rows] == query.labels
    assert sum(row[1] for row in result.rows) == pytest.approx(118, abs=30)
    assert all(row[1] >= 0 for row in result.rows)


def test_counts_are_never_negative() -> None:
    query = DpQuery(measure=Measure.COUNT, table="people", epsilon=0.01)
    assert all(release(query, [(0,)]).rows[0][1] >= 0 for _ in range(20))


def test_a_measurement_that_would_overspend_is_refused() -> None:
    with pytest.raises(RuntimeError, match="more than"):
        privacy._check_privacy(0.51, 0.5)

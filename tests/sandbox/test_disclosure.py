"""Disclosure control of aggregate outputs: each rule, with reasons, and the invariants that hold
on every output (property tests over random tables).

Plans come from the real SQL reader; their SQL runs in a plain in-memory DuckDB over a small
table, exactly as the sandbox would run it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.sandbox.disclosure import CheckedTable, ReleasedCells, Rule, check_aggregate
from accord.sandbox.executor import ResultTable
from accord.sandbox.policy import DisclosurePolicy, NKRule, PPercentRule, Rounding
from accord.sandbox.sql import AggregatePlan, reader
from tests.sandbox.conftest import people_rows

PEOPLE = pa.table(
    dict(
        zip(["id", "region", "sex", "age", "income"], zip(*people_rows(), strict=True), strict=True)
    )
)


def people() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.from_arrow(PEOPLE).create("people")
    return con


def checked(
    sql: str,
    policy: DisclosurePolicy | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    earlier: Sequence[ReleasedCells] = (),
) -> tuple[AggregatePlan, CheckedTable]:
    policy = policy or DisclosurePolicy()
    plan = reader().plan(sql, ["people", "t"], top_n=policy.top_contributors)
    assert isinstance(plan, AggregatePlan)
    cursor = (con or people()).execute(plan.sql)
    names = [d[0] for d in cursor.description or []]
    table = ResultTable(tuple(names), tuple("" for _ in names), cursor.fetchall())
    return plan, check_aggregate(plan, table, policy, earlier)


def notes_of(table: CheckedTable) -> dict[tuple[int, int | None], Rule]:
    return {(n.row, n.column): n.rule for n in table.notes}


BY_REGION = (
    "SELECT region, count(*) AS n, avg(income) AS mean FROM people GROUP BY region ORDER BY region"
)


def test_small_group_is_hidden_whole_with_its_label() -> None:
    _, table = checked(BY_REGION)
    island = 1  # east, island, north, south, west
    assert table.rows[island] == [None, None, None]
    note = next(n for n in table.notes if n.row == island)
    assert (note.column, note.rule) == (None, Rule.THRESHOLD)
    assert "3 rows of data; at least 10" in note.message


def test_a_dominated_mean_is_suppressed_and_says_why() -> None:
    _, table = checked(BY_REGION)
    west = 4
    assert notes_of(table)[(west, 2)] is Rule.DOMINANCE
    assert table.rows[west][2] is None
    assert "largest contributor holds" in next(n.message for n in table.notes if n.column == 2)


def test_secondary_suppression_protects_the_lone_hidden_cell() -> None:
    _, table = checked(BY_REGION)
    rules = notes_of(table)
    assert rules[(4, 1)] is Rule.SECONDARY, "west's count is the smallest other count"
    assert table.rows[0][1] == 25 and table.rows[2][1] == 40


def test_a_cell_about_one_person_is_suppressed_by_its_contributors() -> None:
    _, table = checked(
        "SELECT sum(CASE WHEN id = 17 THEN income ELSE 0 END) AS one, count(*) FROM people"
    )
    assert notes_of(table)[(0, 0)] is Rule.CONTRIBUTORS
    assert table.rows[0] == [None, 118]


def test_a_small_count_inside_a_large_group_is_suppressed() -> None:
    _, table = checked("SELECT count(*) FILTER (WHERE age = 21) AS a, count(*) FROM people")
    assert notes_of(table)[(0, 0)] is Rule.SMALL_COUNT
    assert table.rows[0][1] == 118


def test_having_on_one_person_hides_the_row() -> None:
    _, table = checked(
        "SELECT region, count(*) FROM people GROUP BY region "
        "HAVING sum(CASE WHEN id = 50 THEN income END) > 0"
    )
    assert len(table.rows) == 1
    assert table.rows[0] == [None, None]
    assert table.notes[0].column is None and table.notes[0].rule is Rule.CONTRIBUTORS


def test_the_n_k_rule_counts_the_n_largest() -> None:
    strict = DisclosurePolicy(dominance=NKRule(n=2, k=20))
    _, table = checked("SELECT region, sum(income) FROM people GROUP BY 1 ORDER BY 1", strict)
    assert {c for (r, c), rule in notes_of(table).items() if rule is Rule.DOMINANCE} == {1}
    assert notes_of(table)[(4, 1)] is Rule.DOMINANCE
    lenient = DisclosurePolicy(dominance=NKRule(n=1, k=95))
    _, table = checked("SELECT region, sum(income) FROM people GROUP BY 1 ORDER BY 1", lenient)
    assert notes_of(table)[(4, 1)] is Rule.SECONDARY, "not dominated: 87% < 95%"


def test_no_dominance_rule_leaves_magnitudes_to_the_threshold() -> None:
    _, table = checked(BY_REGION, DisclosurePolicy(dominance=None))
    assert not [n for n in table.notes if n.rule is Rule.DOMINANCE]


def test_extremes_are_flagged_for_review() -> None:
    _, table = checked("SELECT region, max(income) FROM people GROUP BY 1")
    assert table.flags == ("max() reveals values of single rows: an output checker reviews it",)
    _, always = checked(BY_REGION, DisclosurePolicy(review="always"))
    assert always.flags == ("the agreement sends every output to review",)


def test_rounding_applies_to_counts_and_sums_that_are_released() -> None:
    policy = DisclosurePolicy(rounding=Rounding(counts_base=5, magnitudes_base=1000))
    _, table = checked(
        "SELECT sex, count(*), sum(income), avg(income) FROM people GROUP BY 1 ORDER BY 1",
        policy,
    )
    for _sex, count, total, mean in table.rows:
        assert count % 5 == 0
        assert total is None or total % 1000 == 0
        assert mean is None or mean % 1000 != 0, "means are not rounded"


def test_differencing_against_an_earlier_release_is_detected() -> None:
    first_sql = "SELECT region, count(*) FROM people WHERE age > 20 GROUP BY region ORDER BY 1"
    plan, first = checked(first_sql)
    earlier = [ReleasedCells("job_earlier", plan.fingerprint, first.released_rows)]
    _, second = checked(
        "SELECT region, count(*) FROM people WHERE age > 20 AND id <> 5 GROUP BY region ORDER BY 1",
        earlier=earlier,
    )
    differencing = [n for n in second.notes if n.rule is Rule.DIFFERENCING]
    assert [n.row for n in differencing] == [2], "north lost exactly one row: id 5"
    assert "job_earlier" in differencing[0].message
    _, unrelated = checked(
        "SELECT region, count(*) FROM people WHERE sex = 'f' GROUP BY region ORDER BY 1",
        earlier=earlier,
    )
    assert not [n for n in unrelated.notes if n.rule is Rule.DIFFERENCING]


# --- invariants on random tables --------------------------------------------------------------

GROUPS = st.lists(
    st.tuples(
        st.sampled_from("abcd"),
        st.sampled_from("xyz"),
        st.integers(min_value=-5, max_value=1000),
    ),
    min_size=1,
    max_size=120,
)
POLICIES = st.builds(
    DisclosurePolicy,
    min_cell_count=st.integers(min_value=2, max_value=12),
    dominance=st.one_of(
        st.none(),
        st.builds(PPercentRule, p=st.floats(min_value=1, max_value=50)),
        st.builds(NKRule, n=st.integers(1, 3), k=st.floats(min_value=50, max_value=95)),
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=GROUPS, policy=POLICIES)
def test_every_output_keeps_the_invariants(
    rows: list[tuple[str, str, int]], policy: DisclosurePolicy
) -> None:
    con = duckdb.connect()
    columns = dict(zip("ghv", zip(*rows, strict=True), strict=True))
    con.from_arrow(pa.table(columns)).create("t")
    plan, table = checked(
        "SELECT g, h, count(*), sum(v) FROM t GROUP BY g, h ORDER BY g, h", policy=policy, con=con
    )
    keys = [(row[0], row[1]) for row in con.execute(plan.sql).fetchall()]
    k = policy.min_cell_count
    sizes = defaultdict(int)
    for g, h, _ in rows:
        sizes[(g, h)] += 1
    hidden_rows = {n.row for n in table.notes if n.column is None}
    hidden = {(n.row, n.column) for n in table.notes}
    shown = [row for i, row in enumerate(table.rows) if i not in hidden_rows]
    assert all(sizes[(row[0], row[1])] >= k for row in shown), "every shown row has k rows"
    for i, row in enumerate(table.rows):
        if (i, 2) not in hidden and i not in hidden_rows:
            assert row[2] >= k
        if i in hidden_rows:
            assert row == [None, None, None, None]
    for column in (2, 3):
        for free in (0, 1):
            lines: dict[str, list[int]] = defaultdict(list)
            for i, key in enumerate(keys):
                lines[json.dumps(key[1 - free])].append(i)
            for members in lines.values():
                if len(members) < 2:
                    continue
                count = sum(1 for i in members if i in hidden_rows or (i, column) in hidden)
                assert count != 1, "no line has exactly one hidden cell"

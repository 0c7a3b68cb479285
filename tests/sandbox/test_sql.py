"""Reading SQL: what is refused, what is row-level, and the plan of an aggregate query."""

from __future__ import annotations

import duckdb
import pytest

from accord.sandbox.sql import (
    AggregateKind,
    AggregatePlan,
    QueryRefused,
    RowLevelPlan,
    SqlReader,
    reader,
)

TABLES = ("people", "visits")


@pytest.fixture(scope="module")
def sql() -> SqlReader:
    return reader()


REFUSED = [
    ("", "the query is empty"),
    ("SELEC 1", "does not parse"),
    ("SELECT 1; SELECT 2", "exactly one SELECT"),
    ("COPY people TO '/tmp/x.csv'", "COPY statements are refused"),
    ("INSTALL httpfs", "LOAD statements are refused"),
    ("SET threads = 8", "SET statements are refused"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table functions such as read_csv()"),
    ("SELECT * FROM range(10)", "table functions such as range()"),
    ("FROM '/etc/passwd'", "no table '/etc/passwd'"),
    ("SELECT * FROM secrets", "no table 'secrets'"),
    ("SELECT * FROM information_schema.tables", "information_schema.tables"),
    ("SELECT * FROM main.people", "main.people"),
    ("DESCRIBE people", "DESCRIBE and SUMMARIZE"),
    ("SELECT region, (SELECT count(*) FROM visits) FROM people GROUP BY 1", "subquery"),
    ("SELECT *, count(*) FROM people GROUP BY ALL", "no * in its SELECT"),
    ("SELECT 'x' || repeat('y', 30000)", "longer than"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_queries_say_why(sql: SqlReader, text: str, message: str) -> None:
    if message == "longer than":
        text = "SELECT " + "1 + " * 6000 + "1"
    with pytest.raises(QueryRefused) as refused:
        sql.plan(text, TABLES)
    assert message in refused.value.message
    assert refused.value.code == "sandbox.query-refused"
    assert refused.value.errors and refused.value.errors[0].location == "sql"


ROW_LEVEL = [
    ("SELECT * FROM people", "rows, not aggregates"),
    ("SELECT id, income FROM people WHERE age > 30", "rows, not aggregates"),
    ("SELECT DISTINCT region FROM people", "DISTINCT"),
    ("SELECT region, count(*) OVER () FROM people", "window functions"),
    ("SELECT list(income) FROM people", "list return individual values"),
    ("SELECT string_agg(region, ',') FROM people", "string_agg"),
    ("SELECT region FROM people UNION SELECT 'x'", "set operations"),
]


@pytest.mark.parametrize(("text", "reason"), ROW_LEVEL)
def test_row_level_queries_are_recognised(sql: SqlReader, text: str, reason: str) -> None:
    plan = sql.plan(text, TABLES)
    assert isinstance(plan, RowLevelPlan)
    assert reason in plan.reason


def test_an_aggregate_plan_appends_its_statistics(sql: SqlReader) -> None:
    plan = sql.plan(
        "SELECT region, count(*) AS n, avg(income) AS mean FROM people GROUP BY region",
        TABLES,
    )
    assert isinstance(plan, AggregatePlan)
    assert (plan.width, plan.keys, plan.rows_stat) == (3, (0,), 3)
    assert [(o.function, o.kind, o.column) for o in plan.occurrences] == [
        ("count_star", AggregateKind.COUNT, 1),
        ("avg", AggregateKind.MAGNITUDE, 2),
    ]
    assert plan.occurrences[0].stats == (3,), "the count is the row count: computed once"
    assert plan.occurrences[1].stats == (4, 5, 6)
    assert plan.counts == (1,) and plan.magnitudes == (2,)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE people AS "
        "SELECT * FROM (VALUES ('a', 0.0), ('a', 5.0), ('b', 2.0)) t(region, income)"
    )
    rows = con.execute(plan.sql + " ORDER BY 1").fetchall()
    assert rows == [("a", 2, 2.5, 2, 1, 5.0, 5.0), ("b", 1, 2.0, 1, 1, 2.0, 2.0)]
    assert "FILTER (WHERE true)" not in plan.sql


def test_filters_and_having_get_their_own_statistics(sql: SqlReader) -> None:
    plan = sql.plan(
        "SELECT region, sum(income) FILTER (WHERE age > 30) FROM people "
        "GROUP BY region HAVING max(age) > 40",
        TABLES,
    )
    assert isinstance(plan, AggregatePlan)
    having = [o for o in plan.occurrences if o.column is None]
    assert [(o.function, o.kind) for o in having] == [("max", AggregateKind.EXTREME)]
    assert plan.sql.count("FILTER (WHERE (age > 30))") == 4, "the statistics share the filter"


@pytest.mark.parametrize(
    ("aggregate", "contributors"),
    [
        ("sum(income)", 3),  # NULL and 0 contribute nothing; a negative value does
        ("sum(income) FILTER (WHERE age > 30)", 2),
        ("sum(DISTINCT income)", 2),
    ],
)
def test_contributors_are_the_non_zero_values(
    sql: SqlReader, aggregate: str, contributors: int
) -> None:
    plan = sql.plan(f"SELECT {aggregate} FROM people", TABLES)
    assert isinstance(plan, AggregatePlan)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE people AS SELECT * FROM (VALUES (NULL, 50), (0.0, 50), (-3.0, 50), "
        "(5.0, 50), (5.0, 20)) t(income, age)"
    )
    row = con.execute(plan.sql).fetchone()
    assert row is not None
    assert row[plan.occurrences[0].stats[0]] == contributors


def test_the_n_k_rule_asks_for_the_top_contributors(sql: SqlReader) -> None:
    plan = sql.plan("SELECT sum(income) FROM people", TABLES, top_n=3)
    assert isinstance(plan, AggregatePlan)
    assert len(plan.occurrences[0].stats) == 4
    assert "max(abs(TRY_CAST(income AS DOUBLE)), 3)" in plan.sql


def test_ctes_and_joins_of_granted_tables_are_accepted(sql: SqlReader) -> None:
    plan = sql.plan(
        "WITH v AS (SELECT person_id, sum(visits) AS visits FROM visits GROUP BY 1) "
        "SELECT p.region, avg(v.visits) FROM people p JOIN v ON v.person_id = p.id "
        "GROUP BY ROLLUP (p.region)",
        TABLES,
    )
    assert isinstance(plan, AggregatePlan)
    assert plan.keys == (0,)


def test_fingerprints_compare_sources_groups_and_filters(sql: SqlReader) -> None:
    def fingerprint(text: str) -> tuple[str, str, tuple[str, ...]]:
        plan = sql.plan(text, TABLES)
        assert isinstance(plan, AggregatePlan)
        f = plan.fingerprint
        return f.source, f.groups, f.filters

    base = fingerprint("SELECT region, count(*) FROM people WHERE age > 30 GROUP BY region")
    narrower = fingerprint(
        "SELECT region, count(*) FROM people WHERE sex = 'f' AND age > 30 GROUP BY region"
    )
    respaced = fingerprint("select region,count(*)   from people where age>30 group by region")
    assert base == respaced
    assert base[:2] == narrower[:2]
    assert set(base[2]) < set(narrower[2])
    other_groups = fingerprint("SELECT sex, count(*) FROM people WHERE age > 30 GROUP BY sex")
    assert other_groups[1] != base[1]

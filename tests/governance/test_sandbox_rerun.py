"""A sandbox job's record names the engine and library versions, the dataset version and the
query; re-running it from the record gives the same (non-DP) result."""

from __future__ import annotations

from importlib import metadata

import duckdb

from accord.sandbox.policy import DisclosurePolicy
from tests.sandbox import conftest as sandbox_fixtures
from tests.sandbox.conftest import World

world = sandbox_fixtures.world
sandbox_settings = sandbox_fixtures.sandbox_settings

BY_REGION = "SELECT region, count(*) AS n, avg(income) AS mean FROM people GROUP BY 1 ORDER BY 1"


def test_job_record_names_what_it_ran_on_and_a_rerun_gives_the_same_result(
    world: World,
) -> None:
    first = world.sql(BY_REGION)
    assert first["state"] == "released", first
    environment = first["environment"]
    assert environment["engine"] == {"name": "duckdb", "version": duckdb.__version__}
    assert environment["libraries"]["pyarrow"] == metadata.version("pyarrow")
    assert environment["dataset"]["pid"].endswith(f"{world.dataset_id}@v1")
    tables = environment["dataset"]["tables"]
    assert set(tables) == {"people", "visits"} and len(tables["people"]["sha256"]) == 64
    assert first["query"] == BY_REGION

    response = world.client.post(
        f"/api/v1/jobs/{first['id']}/reruns", headers=world.researcher.headers
    )
    assert response.status_code == 202, response.text
    world.worker.run_until_idle()
    second = world.job(response.json()["id"])
    assert second["rerun_of"] == first["id"] and second["state"] == "released"
    assert second["query"] == first["query"] and second["version_id"] == first["version_id"]
    assert second["environment"] == environment
    before, after = world.result(first["id"]), world.result(second["id"])
    assert (after["columns"], after["rows"], after["notes"]) == (
        before["columns"],
        before["rows"],
        before["notes"],
    )


def test_only_the_owner_reruns_and_dp_measurements_are_not_rerun(world: World) -> None:
    first = world.sql(BY_REGION)
    stranger = world.client.post(f"/api/v1/jobs/{first['id']}/reruns", headers=world.other.headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "sandbox.job-not-found")

    world.policy = DisclosurePolicy(privacy_budget=1.0)
    count = world.dp(measure="count", table="people", epsilon=0.5)
    refused = world.client.post(
        f"/api/v1/jobs/{count['id']}/reruns", headers=world.researcher.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "sandbox.dp-not-rerun")

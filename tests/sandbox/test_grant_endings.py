"""A grant revoked or suspended through the access workflow stops its queued sandbox jobs:
they fail with ``sandbox.grant-ended``, their privacy budget spend is refunded, and each
failure is logged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accord.identity.permissions import Role
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext
from accord.sandbox import budget
from accord.sandbox.models import MICRO
from accord.sandbox.policy import DisclosurePolicy
from tests.sandbox.conftest import World

COUNTS = "SELECT region, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"


def queue_two(world: World) -> list[str]:
    """A query job and a DP job waiting in the queue (no worker has run)."""
    world.policy = DisclosurePolicy(privacy_budget=1.0)
    sql = world.submit(sql=COUNTS)
    dp = world.submit(dp={"measure": "count", "table": "people", "epsilon": 0.4})
    assert sql.status_code == dp.status_code == 202, (sql.text, dp.text)
    return [sql.json()["id"], dp.json()["id"]]


def assert_stopped(world: World, job_ids: list[str], why: str) -> None:
    world.worker.run_until_idle()
    for job_id in job_ids:
        job = world.job(job_id)
        assert job["state"] == "failed", job
        assert job["error"]["code"] == "sandbox.grant-ended"
        assert why in job["error"]["message"]
    scope = budget.Scope(world.researcher.id, world.dataset_id, world.grant_id, MICRO)
    with world.node.session() as s:
        assert budget.spent_of(s, scope) == 0, "the DP job's spend is refunded"
    assert events(world.node).count("sandbox.job.failed") == len(job_ids)


def events(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type).order_by(LedgerEntry.seq)))


def post(world: World, path: str, who: Any, body: dict[str, Any]) -> None:
    answer = world.client.post(path, headers=who.headers, json=body)
    assert answer.status_code in (200, 201), answer.text


def test_revoking_a_grant_fails_its_queued_jobs(world: World) -> None:
    jobs = queue_two(world)
    reviewer = world.make_account(Role.REVIEWER, country="DE")

    post(
        world,
        f"/api/v1/grants/{world.grant_id}/revocation",
        reviewer,
        {"reason": "The data were shared outside the project."},
    )

    assert_stopped(world, jobs, "grant revoked")


def test_suspending_the_holder_fails_the_queued_jobs_of_their_grants(world: World) -> None:
    jobs = queue_two(world)
    reviewer = world.make_account(Role.REVIEWER, country="DE")

    post(
        world,
        "/api/v1/sanctions",
        reviewer,
        {
            "kind": "suspension",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "reason": "Suspended while a breach report is investigated.",
            "duration": "P30D",
        },
    )

    assert_stopped(world, jobs, "grant suspended")


def test_a_warning_leaves_queued_jobs_alone(world: World) -> None:
    jobs = queue_two(world)
    reviewer = world.make_account(Role.REVIEWER, country="DE")

    post(
        world,
        "/api/v1/sanctions",
        reviewer,
        {
            "kind": "warning",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "reason": "Outputs must cite the dataset.",
        },
    )
    world.worker.run_until_idle()

    assert [world.job(j)["state"] for j in jobs] == ["released", "released"]

"""Disclosure settings from the agreement of the dataset version: the agreement's
``disclosure`` section over the node's defaults, through the access workflow's real grants."""

from __future__ import annotations

from typing import Any

from accord.sandbox.grants import AccessGrants, use_grant_source
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.settings import SandboxSettings, configure_sandbox
from tests.catalog.conftest import assert_problem
from tests.sandbox.conftest import AGREEMENT, World, grant_sandbox, publish_dataset

COUNTS = "SELECT region, count(*) AS n FROM people GROUP BY 1 ORDER BY 1"


def governed_by(world: World, disclosure: dict[str, Any] | None) -> str:
    """A second dataset whose agreement has ``disclosure``; the researcher's grant on it; its
    version id. Grants are read as the access workflow issues them."""
    use_grant_source(world.node, AccessGrants())
    document = AGREEMENT if disclosure is None else AGREEMENT | {"disclosure": disclosure}
    data_org = str(world.checker.organisation_id)
    dataset_id, version_id = publish_dataset(world.node, data_org, document)
    grant_sandbox(world.node, world.researcher, dataset_id)
    return version_id


def counts(world: World, version_id: str) -> dict[str, Any]:
    submitted = world.submit(sql=COUNTS, version_id=version_id)
    assert submitted.status_code == 202, submitted.text
    world.worker.run_until_idle()
    job = world.job(submitted.json()["id"])
    assert job["state"] == "released", job
    return {row[0]: row[1] for row in world.result(job["id"])["rows"] if row[1] is not None}


def test_a_stricter_agreement_suppresses_a_cell_the_default_releases(world: World) -> None:
    default = governed_by(world, None)
    strict = governed_by(world, {"min_cell_count": 26})
    assert counts(world, default)["east"] == 25
    assert counts(world, strict) == {"north": 40, "south": 30}


def test_the_node_defaults_fill_what_the_agreement_leaves_out(
    world: World, sandbox_settings: SandboxSettings
) -> None:
    configure_sandbox(
        world.node,
        sandbox_settings.model_copy(update={"disclosure": DisclosurePolicy(min_cell_count=2)}),
    )
    lenient_node = governed_by(world, None)
    agreement_says = governed_by(world, {"microdata": False})
    assert counts(world, lenient_node)["island"] == 3
    assert counts(world, agreement_says)["island"] == 3
    strict = governed_by(world, {"min_cell_count": 5})
    assert "island" not in counts(world, strict)


def test_an_agreement_budget_limits_dp_jobs(world: World) -> None:
    without = governed_by(world, None)
    count = {"measure": "count", "table": "people", "epsilon": 0.3}
    assert_problem(world.submit(dp=count, version_id=without), 403, "sandbox.no-privacy-budget")
    version_id = governed_by(world, {"privacy_budget": 0.5})
    first = world.submit(dp=count, version_id=version_id)
    assert first.status_code == 202, first.text
    world.worker.run_until_idle()
    assert world.job(first.json()["id"])["state"] == "released"
    assert_problem(world.submit(dp=count, version_id=version_id), 409, "sandbox.budget-exhausted")
    budget = world.client.get(
        "/api/v1/budgets", headers=world.researcher.headers, params={"version_id": version_id}
    ).json()
    assert budget["total_epsilon"] == 0.5 and budget["spent_epsilon"] == 0.3

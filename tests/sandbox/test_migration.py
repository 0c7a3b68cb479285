"""The sandbox migrations build exactly the tables the models describe, and ``sandbox_0003``
turns per-grant budgets into each researcher's spending on the dataset (and back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, text

import accord.sandbox.models  # noqa: F401  (registers the sandbox tables)
from accord.db import alembic_config, is_sqlite, migrate
from accord.sandbox.policy import DisclosurePolicy
from tests.sandbox.conftest import World, grant_sandbox
from tests.schema import schema_diff

COUNT = {"measure": "count", "table": "people"}


def test_migration_matches_models(engine: Engine) -> None:
    assert schema_diff(engine, "sandbox_") == []


def test_per_grant_budgets_become_one_spending_per_researcher_and_dataset(world: World) -> None:
    if not is_sqlite(world.node.engine):
        pytest.skip("the schema is moved back and forth on this test's own SQLite copy")
    world.policy = DisclosurePolicy(privacy_budget=1.0)
    first = world.submit(dp={**COUNT, "epsilon": 0.25}).json()
    world.clock.advance(timedelta(days=1))  # the second grant ends later: jobs now use it
    second_grant = grant_sandbox(world.node, world.researcher, world.dataset_id)
    later = world.submit(dp={**COUNT, "epsilon": 0.5}).json()
    assert {first["grant_id"], later["grant_id"]} == {world.grant_id, second_grant}
    engine = world.node.engine
    command.downgrade(alembic_config(engine), "sandbox_0002")
    with engine.begin() as conn:
        restored = conn.execute(text("SELECT * FROM sandbox_budgets")).mappings().all()
        assert [(r["grant_id"], r["spent_micro"], r["total_micro"]) for r in restored] == [
            (later["grant_id"], 750_000, 750_000)
        ], "the spending goes back to the latest DP job's grant, exhausted"
        conn.execute(text("DELETE FROM sandbox_budgets"))
        conn.execute(
            text(
                "INSERT INTO sandbox_budgets VALUES (:g1, 1000000, 250000, :at), "
                "(:g2, 1000000, 500000, :at)"
            ),
            {"g1": first["grant_id"], "g2": later["grant_id"], "at": "2026-01-15 12:00:00"},
        )
    migrate(engine)
    with engine.connect() as conn:
        spending = conn.execute(
            text("SELECT user_id, dataset_id, spent_micro FROM sandbox_privacy_spending")
        ).all()
    assert [tuple(row) for row in spending] == [(world.researcher.id, world.dataset_id, 750_000)]

"""The ``governance_0001`` and ``sandbox_0002`` migrations build exactly what the models say."""

from __future__ import annotations

from sqlalchemy import Engine

import accord.catalog.models
import accord.federation.models
import accord.governance.models
import accord.identity.models
import accord.sandbox.models  # noqa: F401  (registers the tables)
from tests.schema import schema_diff


def test_migration_matches_models(engine: Engine) -> None:
    assert schema_diff(engine, "governance_", "sandbox_jobs") == []

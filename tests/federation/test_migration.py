"""The ``federation_0001`` migration builds exactly the tables the models describe."""

from __future__ import annotations

from sqlalchemy import Engine

import accord.federation.models  # noqa: F401  (registers the federation tables)
from tests.schema import schema_diff


def test_migration_matches_models(engine: Engine) -> None:
    assert schema_diff(engine, "federation_") == []

"""The ``deid_0001`` migration builds exactly the tables the models describe."""

from __future__ import annotations

from sqlalchemy import Engine

import accord.deid.models  # noqa: F401  (registers the deid tables)
from tests.schema import schema_diff


def test_migration_matches_models(engine: Engine) -> None:
    assert schema_diff(engine, "deid_") == []

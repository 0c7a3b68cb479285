"""The ``governance_0001`` and ``sandbox_0002`` migrations build exactly what the models say."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import accord.catalog.models
import accord.federation.models
import accord.governance.models
import accord.identity.models
import accord.sandbox.models  # noqa: F401  (registers the tables)
from accord.db import Base


def test_migration_matches_models(engine: Engine) -> None:
    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = str(name if type_ == "table" else getattr(table, "name", ""))
        return table_name.startswith(("governance_", "sandbox_jobs"))

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": ours, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []

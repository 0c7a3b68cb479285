"""The ``reports_0001`` migration builds exactly the tables the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import accord.reports.models  # noqa: F401  (registers the reports tables)
from accord.db import Base


def test_migration_matches_models(engine: Engine) -> None:
    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", "")
        return bool(table_name and str(table_name).startswith("reports_"))

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": ours, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []

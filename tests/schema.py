"""What differs between the migrated database and the models, for the tables of some domains."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from accord.db import Base


def schema_diff(engine: Engine, *prefixes: str) -> list[Any]:
    """Alembic's comparison of the database with ``Base.metadata``, limited to the tables whose
    names start with one of ``prefixes`` (their indexes and constraints included); ``[]`` when
    the migrations build exactly what the models declare."""

    def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", "")
        return bool(table_name and str(table_name).startswith(prefixes))

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": ours, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))

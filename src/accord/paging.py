"""Cursor paging: ``?limit=&cursor=`` → ``{"items": [...], "next_cursor": ...}``.

Ids are ULIDs, so "after this id" is a stable, index-friendly cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def fetch_page(
    session: Session,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[str],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Any], str | None]:
    """Rows after ``cursor`` ordered by id, and the cursor of the next page (or None)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        stmt = stmt.where(id_column > cursor)
    rows = session.scalars(stmt.order_by(id_column).limit(limit + 1)).all()
    if len(rows) > limit:
        return rows[:limit], str(getattr(rows[limit - 1], id_column.key))
    return rows, None

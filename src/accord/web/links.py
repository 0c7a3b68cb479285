"""Cursor-paged list responses with an RFC 8288 ``Link: rel="next"`` header."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import urlencode

from fastapi import Response

from accord.paging import Page

T = TypeVar("T")


def paged(
    response: Response, path: str, items: list[T], next_cursor: str | None, limit: int
) -> Page[T]:
    if next_cursor:
        query = urlencode({"limit": limit, "cursor": next_cursor})
        response.headers["Link"] = f'<{path}?{query}>; rel="next"'
    return Page[T](items=items, next_cursor=next_cursor)

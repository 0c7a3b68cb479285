"""Request-scoped dependencies: the node, a database session, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from accord.node import NodeContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_node(request: Request) -> NodeContext:
    node: NodeContext = request.app.state.node
    return node


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; reads skip SQLite's write lock. Routes commit what they change.

    Opening a session does no I/O (it connects on first use, in the route's worker thread), so
    this runs on the event loop without a thread hop.
    """
    node: NodeContext = request.app.state.node
    session = node.session(readonly=request.method in SAFE_METHODS)
    try:
        yield session
    finally:
        session.close()


NodeDep = Annotated[NodeContext, Depends(get_node)]
SessionDep = Annotated[Session, Depends(get_session)]


def permission_of(dependency: Callable[..., Any]) -> str | None:
    """The permission a route guard declares (read by the route audit test)."""
    value = getattr(dependency, "accord_permission", None)
    return str(value) if value is not None else None

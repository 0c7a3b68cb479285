"""The app lists the domains' own route objects, flat and in order (decision 0010)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from accord.identity.permissions import Permission
from accord.web.app import ROUTERS
from accord.web.routes import add_routes
from accord.web.security import require


def test_the_app_lists_each_declared_route_once_in_order(app: FastAPI) -> None:
    declared = [r for router in ROUTERS for r in _leaves(router)]
    listed = [r for r in app.router.routes if isinstance(r, APIRoute)]
    assert listed[: len(declared)] == declared


def test_a_nested_router_included_as_declared_is_flattened() -> None:
    inner, outer = APIRouter(prefix="/api/v1"), APIRouter()

    @inner.get("/things", dependencies=[Depends(require(Permission.PUBLIC))])
    def things() -> list[str]:
        return []

    outer.include_router(inner)
    app = FastAPI()
    add_routes(app, outer)
    assert [getattr(r, "path", None) for r in app.router.routes][-1] == "/api/v1/things"


@pytest.mark.parametrize(
    "options",
    [{"prefix": "/v2"}, {"dependencies": [Depends(require(Permission.NODE_ADMIN))]}],
    ids=["prefix", "dependencies"],
)
def test_an_inclusion_that_changes_routes_is_refused(options: dict[str, object]) -> None:
    inner, outer = APIRouter(), APIRouter()

    @inner.get("/things", dependencies=[Depends(require(Permission.PUBLIC))])
    def things() -> list[str]:
        return []

    outer.include_router(inner, **options)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="declare them on the router itself"):
        add_routes(FastAPI(), outer)


def _leaves(router: APIRouter) -> list[APIRoute]:
    return [
        c.original_route
        for c in iter_route_contexts(router.routes)
        if isinstance(c.original_route, APIRoute)
    ]

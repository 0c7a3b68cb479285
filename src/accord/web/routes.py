"""The domains' routes added to the app one by one, in order, rather than as included routers.

FastAPI keeps an included router as a branch resolved on every request: each route of each
branch before the matching one is tried with per-request bookkeeping, and the matching branch
is scanned twice; each app also builds its own copy of every route the first time a request
passes it. With some 300 routes, routing cost more than the rest of a short request (0.4 ms
for ``POST /api/v1/requests``). The routes the domains declared are complete as they stand
(paths, tags and guards are declared on the routers, never at inclusion), so the app lists
those very route objects: the same routes in the same order, each tried with one regular
expression, shared by every app of the process (decision 0010).

A consequence: ``app.dependency_overrides`` do not reach these routes. The one override the
node needs, who a request acts as, is ``accord.web.security.act_as``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add every route of ``router`` (and of the routers it includes) to ``app``, in order."""
    for context in iter_route_contexts(router.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and not _as_declared(route, context):
            raise RuntimeError(
                f"{context.path}: a router was included with a prefix, tags, dependencies or "
                "other options; declare them on the router itself (accord.web.routes)"
            )
        app.router.routes.append(route)


def _as_declared(route: APIRoute, context: RouteContext) -> bool:
    """Did the inclusion leave ``route`` as its router declared it? (Tags, responses and
    callbacks only matter to routes in the OpenAPI document.)"""
    documented = route.include_in_schema and (
        list(context.tags) != list(route.tags)
        or dict(context.responses) != dict(route.responses)
        or list(context.callbacks or []) != list(route.callbacks or [])
    )
    return (
        context.path == route.path
        and list(context.dependencies) == list(route.dependencies)
        and context.include_in_schema == route.include_in_schema
        and context.deprecated == route.deprecated
        and not documented
    )

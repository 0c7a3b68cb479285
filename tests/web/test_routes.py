"""Every route of the app declares the permission it needs (DESIGN.md rule 5)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from accord.web.app import PUBLIC_MOUNTS
from accord.web.deps import permission_of


def declared_permissions(dependant: Dependant) -> list[str]:
    found = []
    for dep in dependant.dependencies:
        if dep.call is not None and (permission := permission_of(dep.call)):
            found.append(permission)
        found += declared_permissions(dep)
    return found


def test_every_route_declares_exactly_one_permission(app: FastAPI) -> None:
    missing, several = [], []
    contexts = list(iter_route_contexts(app.routes))
    assert len(contexts) > 20
    for context in contexts:
        route = context.original_route
        if isinstance(route, Mount):
            assert context.path in PUBLIC_MOUNTS, f"mount {context.path} is not declared public"
            continue
        assert isinstance(route, APIRoute), f"{route!r} is not an APIRoute with a guard"
        permissions = set(declared_permissions(getattr(context, "dependant", route.dependant)))
        name = f"{sorted(context.methods or ())} {context.path}"
        if not permissions:
            missing.append(name)
        elif len(permissions) > 1:
            several.append(f"{name}: {sorted(permissions)}")
    assert not missing, f"routes without a declared permission: {missing}"
    assert not several, f"routes declaring several permissions: {several}"


def test_the_audit_catches_an_unguarded_route(app: FastAPI) -> None:
    @app.get("/unguarded")
    def unguarded() -> dict[str, str]:
        return {}

    routes = [c.original_route for c in iter_route_contexts(app.routes) if c.path == "/unguarded"]
    assert isinstance(routes[0], APIRoute)
    assert declared_permissions(routes[0].dependant) == []

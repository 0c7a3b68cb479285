"""The baseline for bench/api_overhead.py: a bare Starlette JSON endpoint."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"id": "usr_0", "name": "Baseline", "roles": ["researcher"]})


app = Starlette(routes=[Route("/api/v1/me", me)])

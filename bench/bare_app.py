"""The baseline for bench/api_overhead.py: a bare Starlette JSON endpoint.

``python -m bench.bare_app --port P`` serves it with the uvicorn settings of ``accord serve``
(``accord.cli.node.server_options``), so both sides of the comparison are served the same way.
"""

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from accord.cli.node import server_options


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"id": "usr_0", "name": "Baseline", "roles": ["researcher"]})


app = Starlette(routes=[Route("/api/v1/me", me)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the bare baseline endpoint")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args()
    uvicorn.run(
        "bench.bare_app:app", host="127.0.0.1", port=args.port, **server_options(1, args.access_log)
    )

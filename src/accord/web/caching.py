"""Cache headers on static assets, and asset URLs that change when the asset does.

``static_url("accord.css")`` gives ``/static/accord.css?v=<digest>``; a request carrying the
digest may be cached for a year (``immutable``: the URL changes with the content). Other static
requests are cached for an hour and revalidated with their ETag, so a slow link re-downloads
nothing that has not changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSIONED = b"public, max-age=31536000, immutable"
UNVERSIONED = b"public, max-age=3600"


class StaticCaching:
    """Pure ASGI middleware adding ``Cache-Control`` to successful answers under ``prefixes``."""

    def __init__(self, app: ASGIApp, *, prefixes: Sequence[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        policy = VERSIONED if b"v=" in scope.get("query_string", b"") else UNVERSIONED

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", policy)]
            await send(message)

        await self.app(scope, receive, send_cached)


def static_url_for(folder: Path, prefix: str = "/static") -> Callable[[str], str]:
    """A ``static_url(path)`` function for templates: the path with its content's digest."""

    @cache
    def static_url(path: str) -> str:
        file = (folder / path).resolve()
        if not file.is_relative_to(folder.resolve()) or not file.is_file():
            raise ValueError(f"no static file {path!r}")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
        return f"{prefix}/{path}?v={digest}"

    return static_url

"""How the CLI reaches a node: over HTTP with a token (``--url``), or in-process on the data dir.

Both paths send the same API requests, so the CLI validates, authorises and answers exactly as
the API does (``--json`` prints the API's own documents). In-process calls act as the node's
local operator: whoever can read the data dir already holds the node's keys.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from accord.errors import AccordError, NodeUnavailable, VerificationFailed
from accord.identity.principal import local_operator
from accord.node import NodeContext
from accord.web.app import create_app
from accord.web.security import act_as


class ApiError(AccordError):
    """A problem document returned by the node, re-raised in the CLI."""

    def __init__(self, problem: dict[str, Any], status: int) -> None:
        super().__init__(
            str(problem.get("detail") or problem.get("title") or f"HTTP {status}"),
            code=str(problem.get("code") or str(problem.get("type", "")).rsplit("/", 1)[-1]),
            hint=problem.get("hint"),
            status=status,
        )
        self.problem_doc = problem
        self.exit_code = (
            4 if status >= 500 else 3 if self.code == VerificationFailed.default_code else 1
        )


class _InProcessTransport(httpx.BaseTransport):
    """Runs each request through the ASGI app in a short-lived event loop."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(call())
        # Called from code that already runs an event loop in this thread (an embedding
        # program, a test harness): run ours in a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, call()).result()


class NodeClient:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    @classmethod
    def remote(cls, url: str, token: str | None) -> NodeClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return cls(httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60.0))

    @classmethod
    def local(cls, node: NodeContext) -> NodeClient:
        app = create_app(node)
        act_as(app, local_operator())
        transport = _InProcessTransport(app)
        return cls(httpx.Client(base_url="http://local.accord", transport=transport))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; return the decoded JSON body, or raise the node's problem."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise NodeUnavailable(
                f"cannot reach the node at {self.http.base_url}: {exc}",
                hint="check --url and that the node is running",
            ) from exc
        if response.status_code >= 400:
            raise ApiError(_problem(response), response.status_code)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {
            "detail": response.text[:200] or response.reason_phrase,
            "code": "http-error",
        }
    return body if isinstance(body, dict) else {"detail": str(body)}

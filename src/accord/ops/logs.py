"""Structured JSON logs with a request id on every line, and nothing secret in any of them.

Access lines carry the method, the route template, the status and the duration: never the query
string, headers, cookies or bodies (tokens and personal data travel there).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
_MAX_REQUEST_ID = 64


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for our logs and for the libraries' standard logging."""
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        timestamper,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every URL it fetches at INFO, query strings included: keep only its warnings.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class RequestLog:
    """Assigns a request id (or keeps a sane incoming one), echoes it, logs one access line."""

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        # Standard logging: silent until ``configure_logging`` (the server) turns it on, so the
        # CLI's in-process requests never print to its output.
        self.log = logging.getLogger("accord.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.enabled:
                self._log_access(scope, status, start)
            structlog.contextvars.unbind_contextvars("request_id")

    def _log_access(self, scope: Scope, status: int, start: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "<unmatched>"
        duration_ms = round((time.perf_counter() - start) * 1000, 2)
        self.log.info(
            "request",
            extra={
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
            },
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            text = bytes(value).decode("latin-1")
            if 0 < len(text) <= _MAX_REQUEST_ID and text.replace("-", "").isalnum():
                return text
    return os.urandom(16).hex()

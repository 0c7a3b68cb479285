"""Prometheus metrics: request counts and latency by route, plus gauges read at scrape time.

Each app has its own registry (tests build many apps). Domains add gauges with
``register_gauge(name, help, read)``; ``read(node)`` runs at scrape time on a read-only session.
With several server processes, set ``PROMETHEUS_MULTIPROC_DIR`` as prometheus-client documents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.node import NodeContext

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    help: str
    read: Callable[[NodeContext], float]


SCRAPE_GAUGES: list[ScrapeGauge] = []


def register_gauge(name: str, help: str, read: Callable[[NodeContext], float]) -> None:
    """A gauge computed when Prometheus scrapes (queue depth, log size, harvest lag...)."""
    SCRAPE_GAUGES.append(ScrapeGauge(name, help, read))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "accord_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "accord_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.gauges = {g.name: Gauge(g.name, g.help, registry=self.registry) for g in SCRAPE_GAUGES}
        # Route templates, methods and statuses are few, so this stays small.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its latency (the labelled children are looked up once)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def refresh(self, node: NodeContext) -> None:
        for gauge in SCRAPE_GAUGES:
            self.gauges[gauge.name].set(gauge.read(node))


class MetricsMiddleware:
    """Counts every request under its route template (never the raw path: no ids, no tokens)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - start)

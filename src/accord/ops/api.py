"""``/metrics`` in the Prometheus text exposition format (scrape with a scoped API token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ops.metrics import Metrics
from accord.web.deps import NodeDep
from accord.web.security import require

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response)
async def metrics(
    request: Request,
    node: NodeDep,
    _: Annotated[Principal, Depends(require(Permission.METRICS_READ))],
) -> Response:
    """Request counts and latency by route, plus the domains' gauges."""
    collected: Metrics = request.app.state.metrics
    await run_in_threadpool(collected.refresh, node)
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)

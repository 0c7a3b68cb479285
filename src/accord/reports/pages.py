"""The public reports page: a period's figures with charts (inline SVG, no script needed), and
links to every export."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from accord.errors import AccordError
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.reports import exports, service
from accord.reports.charts import group_name
from accord.reports.report import KINDS, Kind
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
    kind: Annotated[str, Query(max_length=20)] = "transparency",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> HTMLResponse:
    errors: dict[str, str] = {}
    chosen: Kind = kind if kind in KINDS else "transparency"
    if kind not in KINDS:
        errors["kind"] = "Choose equity, transparency or reciprocity."
    first, last = _day(start, "from", errors), _day(end, "to", errors)
    report = None
    if not errors:
        try:
            report = service.report(session, chosen, first, last, public=True)
        except AccordError as error:
            errors["from"] = error.message
    return render(
        request,
        "reports/index.html",
        {
            "report": report,
            "charts": exports.chart_markup(report) if report else [],
            "group_name": group_name,
            "kinds": KINDS,
            "kind": chosen,
            "start": start,
            "end": end,
            "errors": errors,
            "period_params": {k: v for k, v in (("from", start), ("to", end)) if v},
            "formats": exports.FORMATS,
            "published": service.list_published(session, limit=10),
        },
        status_code=422 if errors else 200,
    )


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "Use a date such as 2026-01-31."
        return None

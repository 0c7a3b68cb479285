"""The "cite and export" page of a published version: its citations in every style, links to
BibTeX, RIS and CSL-JSON, and every metadata export. Pages call the same services as the API."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.standards import citations
from accord.standards.exports import EXPORTS, ExportName
from accord.standards.record import export_path
from accord.standards.records import published_record
from accord.standards.schema_org import to_schema_org
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
MACHINE_READABLE = (ExportName.BIBTEX, ExportName.RIS, ExportName.CSL_JSON)


@router.get("/datasets/{dataset_id}/versions/{number}/citation", response_class=HTMLResponse)
def cite_page(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> HTMLResponse:
    record = published_record(session, dataset_id, number, principal)
    links = {
        name: {
            "title": EXPORTS[name].title,
            "standard": EXPORTS[name].standard,
            "media_type": EXPORTS[name].media_type,
            "url": export_path(record.dataset_id, record.number, name),
        }
        for name in ExportName
    }
    document = json.dumps(to_schema_org(record), ensure_ascii=False).replace("<", "\\u003c")
    return render(
        request,
        "standards/cite.html",
        {
            "record": record,
            "citations": citations.format_all(record),
            "machine_readable": [links[name] for name in MACHINE_READABLE],
            "exports": [links[name] for name in ExportName if name not in MACHINE_READABLE],
            "jsonld": document,
        },
    )

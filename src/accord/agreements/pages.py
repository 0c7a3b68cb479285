"""Agreement pages: every published agreement in plain language beside its machine form.

``/agreements`` lists the agreements; a version's page explains it section by section
(``explain.py``) and shows the document as published, with downloads of the machine form as
YAML, as JSON (the canonical published form) and as an ODRL 2.2 policy in JSON-LD. Drafts are
shown only to those who may author agreements, as in the API.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord.agreements import service
from accord.agreements.document import json_schema
from accord.agreements.explain import explain_agreement
from accord.agreements.models import AgreementVersion
from accord.agreements.odrl import agreement_to_odrl
from accord.agreements.ontology import default_vocabulary
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import NodeDep, SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
PAGE_SIZE = 50
SCHEMA_PATH = "/agreements/agreement.schema.json"


@router.get("/agreements", response_class=HTMLResponse)
def agreements_page(
    request: Request,
    session: SessionDep,
    viewer: Public,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """The agreements this viewer may see, each with its newest visible version."""
    rows, next_cursor = service.list_agreements(session, limit=PAGE_SIZE, cursor=cursor)
    items = []
    for agreement in rows:
        versions = service.visible_versions(agreement, viewer)
        if versions:
            items.append({"newest": versions[-1], "count": len(versions)})
    context = {"items": items, "next_cursor": next_cursor}
    return render(request, "agreements/index.html", context)


@router.get(SCHEMA_PATH)
def schema_file(_: Public) -> Response:
    """The JSON Schema (draft 2020-12) of agreement documents, as the package ships it."""
    text = json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return Response(text, media_type="application/schema+json; charset=utf-8")


@router.get("/agreements/{agreement_id}", response_class=RedirectResponse)
def agreement_page(agreement_id: str, session: SessionDep, viewer: Public) -> RedirectResponse:
    """The newest version this viewer may see."""
    agreement = service.visible_agreement(session, agreement_id, viewer)
    newest = service.visible_versions(agreement, viewer)[-1]
    return RedirectResponse(version_path(newest), status_code=303)


@router.get("/agreements/{agreement_id}/versions/{number}", response_class=HTMLResponse)
def version_page(
    request: Request, agreement_id: str, number: int, session: SessionDep, viewer: Public
) -> HTMLResponse:
    """One version in plain language, beside its machine form."""
    version = service.get_version(session, agreement_id, number, viewer)
    document = service.document_of(version)
    context: dict[str, Any] = {
        "version": version,
        "ref": service.ref_of(version),
        "document": document,
        "sections": explain_agreement(document, default_vocabulary()),
        "yaml_text": as_yaml(version),
        "versions": service.visible_versions(version.agreement, viewer),
        "downloads": downloads(version),
    }
    return render(request, "agreements/version.html", context)


@router.get("/agreements/{agreement_id}/versions/{number}/agreement.yaml")
def version_yaml(agreement_id: str, number: int, session: SessionDep, viewer: Public) -> Response:
    version = service.get_version(session, agreement_id, number, viewer)
    return _download(as_yaml(version), "application/yaml", version, "yaml")


@router.get("/agreements/{agreement_id}/versions/{number}/agreement.json")
def version_json(agreement_id: str, number: int, session: SessionDep, viewer: Public) -> Response:
    version = service.get_version(session, agreement_id, number, viewer)
    text = json.dumps(service.document_of(version).as_data(), indent=2, ensure_ascii=False)
    return _download(text + "\n", "application/json", version, "json")


@router.get("/agreements/{agreement_id}/versions/{number}/odrl.jsonld")
def version_odrl(
    agreement_id: str, number: int, session: SessionDep, node: NodeDep, viewer: Public
) -> Response:
    """The version as an ODRL 2.2 policy; its uid is the version page's address."""
    version = service.get_version(session, agreement_id, number, viewer)
    uid = f"{node.identity.base_url.rstrip('/')}{version_path(version)}"
    policy = agreement_to_odrl(service.document_of(version), uid)
    text = json.dumps(policy, indent=2, ensure_ascii=False)
    return _download(text + "\n", "application/ld+json", version, "odrl.jsonld")


def version_path(version: AgreementVersion) -> str:
    return f"/agreements/{version.agreement_id}/versions/{version.number}"


def as_yaml(version: AgreementVersion) -> str:
    """The published document as YAML, in the order of the document format."""
    data = service.document_of(version).as_data()
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def downloads(version: AgreementVersion) -> list[dict[str, str]]:
    base = version_path(version)
    return [
        {"label": "YAML", "url": f"{base}/agreement.yaml", "type": "application/yaml"},
        {"label": "JSON", "url": f"{base}/agreement.json", "type": "application/json"},
        {
            "label": "ODRL 2.2 (JSON-LD)",
            "url": f"{base}/odrl.jsonld",
            "type": "application/ld+json",
        },
        {"label": "JSON Schema", "url": SCHEMA_PATH, "type": "application/schema+json"},
        {
            "label": "API",
            "url": f"/api/v1/agreements/{version.agreement_id}/versions/{version.number}",
            "type": "application/json",
        },
    ]


def _download(text: str, media_type: str, version: AgreementVersion, suffix: str) -> Response:
    name = f"{version.agreement_id}-v{version.number}.{suffix}"
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "ETag": f'"{version.sha256}-{suffix}"',
    }
    return Response(text, media_type=f"{media_type}; charset=utf-8", headers=headers)

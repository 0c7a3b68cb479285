"""Steward pages for de-identified derivatives, and each derivation's public report page.

- ``/derivations``: the derivations of datasets the steward looks after;
- ``/derivations/new``: pick a source (``ds_…@v1``), scan it for identifiers, write the spec
  (YAML, pre-filled from the scan), see the plan's report, then derive;
- ``/derivations/{id}``: the report (k, l, suppression, information loss, class sizes), the
  spec, the links to source and derived versions and the PROV-O document; the derived
  version's page links here from its Methods description.

Pages call the same services as the API; forms post back with the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.catalog.pids import parse_version_ref
from accord.deid import service
from accord.deid.documents import derivation_out
from accord.deid.report import Report
from accord.deid.scan import Finding
from accord.errors import AccordError, InvalidInput
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Planner = Annotated[Principal, Depends(require(Permission.DERIVATION_PLAN))]
Step = Literal["scan", "plan", "run"]
EXAMPLE_SPEC = """\
# Scan the source first: the scan fills in a starting spec here.
drop: [name, email]
pseudonymise: [patient_id]
quasi_identifiers:
  - {column: age, kind: range}
  - {column: postcode, kind: prefix, lengths: [3, 1]}
sensitive: [diagnosis]
k: 10
release: {tier: registered}
"""


@router.get("/derivations", response_class=HTMLResponse)
def derivations_page(request: Request, session: SessionDep, principal: Planner) -> HTMLResponse:
    rows, _ = service.list_derivations(session, principal, limit=200, cursor=None)
    items = [derivation_out(session, r) for r in reversed(rows)]
    return render(request, "deid/index.html", {"derivations": items})


@router.get("/derivations/new", response_class=HTMLResponse)
def new_derivation_page(
    request: Request, _: Planner, source: str = "", file: str = ""
) -> HTMLResponse:
    return _form(request, FormValues(source[:200], file[:1024], EXAMPLE_SPEC, False))


@router.post("/derivations/new", response_class=HTMLResponse)
def new_derivation(
    request: Request,
    session: SessionDep,
    principal: Planner,
    source: Annotated[str, Form(max_length=200)] = "",
    file: Annotated[str, Form(max_length=1024)] = "",
    spec: Annotated[str, Form(max_length=256 * 1024)] = "",
    step: Annotated[Step, Form()] = "scan",
    publish: Annotated[bool, Form()] = False,
) -> Response:
    """One form, three steps: scan the source, plan (report only), or derive."""
    filled = FormValues(source, file, spec, publish)
    try:
        ref = _source_ref(source, file)
        if step == "scan":
            scanned = service.scan_source(session, principal, ref)
            if not spec.strip() or spec == EXAMPLE_SPEC:
                starter = yaml.safe_dump(scanned.starter_spec, sort_keys=False, allow_unicode=True)
                filled = FormValues(source, file, starter, publish)
            return _form(request, filled, scan=scanned, findings=scanned.findings)
        if step == "plan":
            planned = service.plan(session, principal, ref, spec)
            return _form(request, filled, report=planned.report, findings=planned.findings)
        row = service.run(session, principal, ref, spec, publish=publish)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status in {401, 403, 404} and error.code not in _SHOWN_ON_FORM:
            raise
        return _form(request, filled, error=error, status_code=error.status)
    return RedirectResponse(f"/derivations/{row.id}", status_code=303)


@router.get("/derivations/{derivation_id}", response_class=HTMLResponse)
def derivation_page(
    request: Request, derivation_id: str, session: SessionDep, principal: Public
) -> HTMLResponse:
    row = service.get_derivation(session, principal, derivation_id)
    return _derivation(request, session, principal, row.id)


@router.post("/derivations/{derivation_id}/key-destruction", response_class=HTMLResponse)
def destroy_key(
    request: Request,
    derivation_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DERIVATION_KEY_DESTROY))],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        service.destroy_key(session, principal, derivation_id, reason)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status in {401, 403, 404}:
            raise
        return _derivation(
            request, session, principal, derivation_id, error=error, status_code=error.status
        )
    return RedirectResponse(f"/derivations/{derivation_id}", status_code=303)


_SHOWN_ON_FORM = frozenset(
    {"catalog.version-not-found", "catalog.dataset-not-found", "deid.source-file-not-found"}
)


def _source_ref(source: str, file: str) -> service.SourceRef:
    try:
        parsed = parse_version_ref(source)
    except ValueError as error:
        raise InvalidInput(str(error), code="deid.bad-source-ref") from None
    return service.SourceRef(parsed.dataset_id, parsed.number, file.strip() or None)


@dataclass(frozen=True)
class FormValues:
    """What the steward typed, shown again with the step's result."""

    source: str
    file: str
    spec: str
    publish: bool


def _form(
    request: Request,
    form: FormValues,
    *,
    scan: service.ScanResult | None = None,
    report: Report | None = None,
    findings: Sequence[Finding] | None = None,
    error: AccordError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "form": form,
        "scan": scan,
        "report": report,
        "findings": findings,
        "error": error,
    }
    return render(request, "deid/new.html", context, status_code=status_code)


def _derivation(
    request: Request,
    session: Session,
    principal: Principal | None,
    derivation_id: str,
    *,
    error: AccordError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = service.get_derivation(session, principal, derivation_id)
    document = derivation_out(session, row)
    steward = principal is not None and principal.can(
        Permission.DERIVATION_KEY_DESTROY,
        organisation_id=row.organisation_id,
        dataset_id=row.source_dataset_id,
    )
    context = {
        "d": document,
        "report": document.report,
        "spec_yaml": yaml.safe_dump(document.spec, sort_keys=False, allow_unicode=True),
        "steward": steward,
        "error": error,
    }
    return render(request, "deid/derivation.html", context, status_code=status_code)

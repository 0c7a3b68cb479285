"""Governance pages: the node's policies and their consultations, the governance register, a
dataset version's risk assessments, the SBOM, peers' consultations, and the disclosure policy.

Pages call the same services as the API; forms post back with the session's CSRF token, and a
refused form is shown again with the error tied to its field.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord import input_errors
from accord.errors import AccordError, FieldError, InvalidInput
from accord.governance import (
    documents,
    peer_consultations,
    policies,
    register,
    risk,
    sbom,
    security_txt,
)
from accord.governance.assessment import Assessment, Category, Choice, Level, Mitigation, Mode, Tier
from accord.governance.rules import rules_json
from accord.identity.permissions import Permission, ScopeKind
from accord.identity.principal import Principal
from accord.web.deps import NodeDep, SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Assessor = Annotated[Principal, Depends(require(Permission.GOVERNANCE_RISK_ASSESS))]
Proposer = Annotated[Principal, Depends(require(Permission.GOVERNANCE_POLICY_PROPOSE))]
Decider = Annotated[Principal, Depends(require(Permission.GOVERNANCE_POLICY_DECIDE))]
Commenter = Annotated[Principal, Depends(require(Permission.GOVERNANCE_CONSULTATION_COMMENT))]
NodeVoice = Annotated[Principal, Depends(require(Permission.GOVERNANCE_PEER_RESPOND))]
RegisterKeeper = Annotated[Principal, Depends(require(Permission.GOVERNANCE_REGISTER_MANAGE))]
Text = Annotated[str, Form(max_length=20_000)]
Content = Annotated[str, Form(max_length=512 * 1024)]


@router.get("/governance", response_class=HTMLResponse)
def governance_page(request: Request, session: SessionDep, _: Public) -> HTMLResponse:
    items = [documents.policy_out(session, p) for p in policies.list_policies(session)]
    return render(request, "governance/index.html", {"policies": items})


@router.get("/security", response_class=HTMLResponse)
def security_page(request: Request, node: NodeDep, _: Public) -> HTMLResponse:
    """The responsible disclosure policy (``Policy:`` in security.txt)."""
    context = {
        "contact": security_txt.contact(node.settings, node.identity.base_url),
        "security_txt": security_txt.render(
            node.settings, node.identity.base_url, node.clock.now()
        ),
    }
    return render(request, "governance/security.html", context)


@router.get("/governance/sbom", response_class=HTMLResponse)
def sbom_page(request: Request, node: NodeDep, _: Public) -> HTMLResponse:
    document = json.loads(sbom.sbom_json(node.software_version))
    return render(request, "governance/sbom.html", {"bom": document})


# --- policies and consultations ------------------------------------------------------------


@router.get("/governance/policies", response_class=HTMLResponse)
def policies_page(request: Request, session: SessionDep, _: Public) -> HTMLResponse:
    return _policies(request, session)


@router.post("/governance/policies", response_class=HTMLResponse)
def propose(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: Proposer,
    kind: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    summary: Text = "",
    content: Content = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    filled = {
        "kind": kind,
        "title": title,
        "summary": summary,
        "content": content,
        "deadline": deadline,
    }
    try:
        proposal = policies.Proposal(
            _kind(kind),
            _required(title, "title"),
            summary.strip(),
            _required(content, "content"),
            _end_of_day(deadline, "deadline"),
        )
        consultation = policies.propose(session, principal, proposal)
        session.commit()
    except AccordError as error:
        session.rollback()
        return _policies(request, session, filled=filled, error=error)
    peer_consultations.announce(node, consultation.id)
    return RedirectResponse(f"/governance/consultations/{consultation.id}", status_code=303)


@router.get("/governance/consultations/{consultation_id}", response_class=HTMLResponse)
def consultation_page(
    request: Request, consultation_id: str, session: SessionDep, _: Public
) -> HTMLResponse:
    return _consultation(request, session, consultation_id)


@router.post("/governance/consultations/{consultation_id}/comments", response_class=HTMLResponse)
def comment(
    request: Request,
    consultation_id: str,
    session: SessionDep,
    principal: Commenter,
    text: Text = "",
) -> Response:
    try:
        policies.comment(session, principal, consultation_id, text)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status == 404:
            raise
        return _consultation(request, session, consultation_id, error=error, text=text)
    return RedirectResponse(f"/governance/consultations/{consultation_id}#responses", 303)


@router.post("/governance/consultations/{consultation_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    consultation_id: str,
    session: SessionDep,
    principal: Decider,
    outcome: Annotated[str, Form(max_length=10)] = "",
    reasons: Text = "",
    effective_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        chosen = _outcome(outcome)
        now = request.app.state.node.clock.now()
        effective = _start_of_day(effective_on, "effective_on") if effective_on else None
        if effective is not None and effective.date() == now.date():
            effective = now
        policies.decide(session, principal, consultation_id, chosen, reasons, effective)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status == 404:
            raise
        return _consultation(request, session, consultation_id, decision_error=error)
    return RedirectResponse(f"/governance/consultations/{consultation_id}", status_code=303)


@router.get("/governance/peer-consultations", response_class=HTMLResponse)
def notices_page(request: Request, session: SessionDep, _: NodeVoice) -> HTMLResponse:
    return _notices(request, session)


@router.post("/governance/peer-consultations/{notice_id}/responses", response_class=HTMLResponse)
def respond(
    request: Request,
    notice_id: str,
    session: SessionDep,
    node: NodeDep,
    principal: NodeVoice,
    text: Text = "",
) -> Response:
    try:
        peer_consultations.respond(node, principal, notice_id, text)
    except AccordError as error:
        if error.status == 404:
            raise
        return _notices(request, session, error=error, failed=notice_id)
    return RedirectResponse("/governance/peer-consultations", status_code=303)


# --- the register --------------------------------------------------------------------------


@router.get("/governance/register", response_class=HTMLResponse)
def register_page(request: Request, session: SessionDep, _: Public) -> HTMLResponse:
    return _register(request, session)


@router.post("/governance/register", response_class=HTMLResponse)
def appoint(
    request: Request,
    session: SessionDep,
    principal: RegisterKeeper,
    user_id: Annotated[str, Form(max_length=40)] = "",
    body: Annotated[str, Form(max_length=20)] = "",
    scope_id: Annotated[str, Form(max_length=40)] = "",
    term_start: Annotated[str, Form(max_length=10)] = "",
    term_end: Annotated[str, Form(max_length=10)] = "",
    interests: Text = "",
) -> Response:
    filled = {
        "user_id": user_id,
        "body": body,
        "scope_id": scope_id,
        "term_start": term_start,
        "term_end": term_end,
        "interests": interests,
    }
    try:
        seat = register.Seat(
            _body(body),
            _scope_kind(scope_id),
            scope_id.strip(),
            _date(term_start, "term_start"),
            _date(term_end, "term_end"),
            tuple(line for line in interests.splitlines() if line.strip()),
        )
        register.appoint(session, principal, user_id.strip(), seat)
        session.commit()
    except AccordError as error:
        session.rollback()
        return _register(request, session, filled=filled, error=error)
    return RedirectResponse("/governance/register", status_code=303)


@router.post("/governance/register/{membership_id}/ending", response_class=HTMLResponse)
def end_membership(
    request: Request,
    membership_id: str,
    session: SessionDep,
    principal: RegisterKeeper,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        register.end_term(session, principal, membership_id, reason)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status == 404:
            raise
        return _register(request, session, error=error)
    return RedirectResponse("/governance/register", status_code=303)


# --- risk assessments ----------------------------------------------------------------------


@router.get("/datasets/{dataset_id}/versions/{number}/risk", response_class=HTMLResponse)
def risk_page(
    request: Request, dataset_id: str, number: int, session: SessionDep, principal: Public
) -> HTMLResponse:
    return _risk(request, session, principal, dataset_id, number)


@router.post("/datasets/{dataset_id}/versions/{number}/risk", response_class=HTMLResponse)
async def assess(
    request: Request,
    dataset_id: str,
    number: int,
    session: SessionDep,
    principal: Assessor,
) -> Response:
    form = await request.form()
    values = {k: [str(v) for v in form.getlist(k)] for k in form}
    try:
        assessment, choice = _assessment(values)
        risk.assess(session, principal, dataset_id, number, assessment, choice)
        session.commit()
    except AccordError as error:
        session.rollback()
        if error.status in (403, 404):
            raise
        return _risk(request, session, principal, dataset_id, number, error=error, filled=values)
    return RedirectResponse(f"/datasets/{dataset_id}/versions/{number}/risk", status_code=303)


# --- helpers -------------------------------------------------------------------------------


def _policies(
    request: Request,
    session: Any,
    *,
    filled: dict[str, str] | None = None,
    error: AccordError | None = None,
) -> HTMLResponse:
    items = [documents.policy_out(session, p) for p in policies.list_policies(session)]
    context = {
        "policies": items,
        "kinds": [k.value for k in policies.PolicyKind],
        "filled": filled or {},
        "error": error,
        "fields": _fields(error),
    }
    return render(request, "governance/policies.html", context, _status(error))


def _consultation(
    request: Request,
    session: Any,
    consultation_id: str,
    *,
    error: AccordError | None = None,
    decision_error: AccordError | None = None,
    text: str = "",
) -> HTMLResponse:
    context = {
        "c": documents.consultation_out(session, consultation_id),
        "error": error,
        "decision_error": decision_error,
        "decision_fields": _fields(decision_error),
        "text": text,
    }
    return render(
        request, "governance/consultation.html", context, _status(error or decision_error)
    )


def _notices(
    request: Request, session: Any, *, error: AccordError | None = None, failed: str = ""
) -> HTMLResponse:
    context = {
        "notices": peer_consultations.list_notices(session),
        "error": error,
        "failed": failed,
    }
    return render(request, "governance/peer_consultations.html", context, _status(error))


def _register(
    request: Request,
    session: Any,
    *,
    filled: dict[str, str] | None = None,
    error: AccordError | None = None,
) -> HTMLResponse:
    context = {
        "entries": documents.register_out(session),
        "filled": filled or {},
        "error": error,
        "fields": _fields(error),
    }
    return render(request, "governance/register.html", context, _status(error))


def _risk(
    request: Request,
    session: Any,
    principal: Principal | None,
    dataset_id: str,
    number: int,
    *,
    error: AccordError | None = None,
    filled: dict[str, list[str]] | None = None,
) -> HTMLResponse:
    version, rows = risk.history(session, dataset_id, number, principal)
    steward = principal is not None and principal.can(
        Permission.GOVERNANCE_RISK_ASSESS,
        organisation_id=version.dataset.organisation_id,
        dataset_id=version.dataset_id,
    )
    now = request.app.state.node.clock.now()
    context = {
        "version": version,
        "assessments": [documents.assessment_out(r, full=steward) for r in rows],
        "steward": steward,
        "rules": rules_json(risk.rules_in_force(session, now)),
        "categories": [c.value for c in Category],
        "levels": [v.value for v in Level],
        "mitigations": [m.value for m in Mitigation],
        "tiers": [t.value for t in Tier],
        "modes": [m.value for m in Mode],
        "filled": filled or {},
        "error": error,
        "fields": _fields(error),
    }
    return render(request, "governance/risk.html", context, _status(error))


def _assessment(values: dict[str, list[str]]) -> tuple[Assessment, Choice | None]:
    def one(name: str) -> str:
        return (values.get(name) or [""])[0]

    try:
        assessment = Assessment(
            categories=values.get("categories", []),
            reidentification_risk=one("reidentification_risk"),
            harm_if_misused=one("harm_if_misused"),
            export_control=one("export_control") == "on",
            export_control_notes=one("export_control_notes"),
            mitigations=values.get("mitigations", []),
            notes=one("notes"),
        )
        choice = (
            Choice(tier=one("tier"), mode=one("mode"), justification=one("justification"))
            if one("tier") or one("mode")
            else None
        )
    except ValidationError as error:
        raise InvalidInput(
            "the assessment is not complete",
            code="governance.invalid-assessment",
            errors=[
                FieldError(str(e["loc"][0]) if e["loc"] else "form", input_errors.message(e))
                for e in error.errors()
            ],
        ) from None
    return assessment, choice


def _fields(error: AccordError | None) -> dict[str, str]:
    if error is None:
        return {}
    return {e.location.split(".")[-1]: e.message for e in error.errors}


def _status(error: AccordError | None) -> int:
    return error.status if error is not None else 200


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput(
            f"{field} is required",
            code="governance.invalid-form",
            errors=[FieldError(field, "required")],
        )
    return value.strip() if field != "content" else value


E = TypeVar("E", bound=Enum)


def _kind(value: str) -> policies.PolicyKind:
    return _choice(
        policies.PolicyKind,
        value,
        "kind",
        "choose which policy changes",
        "one of the listed policies",
    )


def _outcome(value: str) -> policies.Outcome:
    return _choice(
        policies.Outcome,
        value,
        "outcome",
        "choose adopt or reject",
        "adopt or reject",
        code="governance.invalid-decision",
    )


def _body(value: str) -> register.Body:
    return _choice(
        register.Body,
        value,
        "body",
        "choose the committee or the review body",
        "committee or review-body",
    )


def _choice(
    kind: type[E],
    value: str,
    field: str,
    message: str,
    hint: str,
    code: str = "governance.invalid-form",
) -> E:
    """``value`` as a member of ``kind``, or a form error on ``field``."""
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(message, code=code, errors=[FieldError(field, hint)]) from None


def _scope_kind(scope_id: str) -> ScopeKind:
    text = scope_id.strip()
    if not text:
        return ScopeKind.NODE
    return ScopeKind.ORGANISATION if text.startswith("org_") else ScopeKind.DATASET


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} is not a date (YYYY-MM-DD)",
            code="governance.invalid-form",
            errors=[FieldError(field, "a date, YYYY-MM-DD")],
        ) from None


def _end_of_day(value: str, field: str) -> datetime:
    return datetime.combine(_date(value, field), time(23, 59, 59), tzinfo=UTC)


def _start_of_day(value: str, field: str) -> datetime:
    return datetime.combine(_date(value, field), time(0, 0), tzinfo=UTC)

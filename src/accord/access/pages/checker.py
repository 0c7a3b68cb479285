""" "Can I use this?" on a dataset page: the engine's answer for the signed-in user and a
stated purpose. A plain GET form (it changes nothing), so it works without JavaScript as a
page of its own; with htmx, only the answer is swapped in beside the form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.access import documents, usage
from accord.access.pages.forms import PURPOSES, codes, errors_of
from accord.agreements import service as agreements
from accord.catalog.models import DatasetVersion, VersionState
from accord.errors import AccordError
from accord.identity import service as identity
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)

Checker = Annotated[Principal, Depends(require(Permission.AGREEMENT_CHECK))]


@router.get("/datasets/{dataset_id}/versions/{number}/use-check", response_class=HTMLResponse)
def use_check(
    request: Request, dataset_id: str, number: int, session: SessionDep, principal: Checker
) -> HTMLResponse:
    """The answer as a page (no JavaScript) or as the fragment htmx swaps in."""
    version = usage.governed_version(session, principal, dataset_id, number)
    fields = question_fields(request)
    context: dict[str, Any] = {
        "form": fields,
        "errors": {},
        "answer": None,
        "purposes": PURPOSES,
        "dataset": {"id": dataset_id, "number": number, "title": version.title},
    }
    status_code = 200
    try:
        if not fields["country"]:
            fields["country"] = identity.get_user(session, principal.user_id).country
        question = usage.UseQuestion.model_validate(question_body(fields))
        found = usage.use_check(session, principal, dataset_id, number, question)
        context["answer"] = documents.decision_out(found.governing, found.decision)
        context["country"] = found.country
        context["requestable"] = found.version.tier in ("controlled", "restricted")
    except (ValidationError, AccordError) as failure:
        context["errors"] = errors_of(failure)
        status_code = failure.status if isinstance(failure, AccordError) else 422
    if request.headers.get("HX-Request") == "true":
        return render(request, "access/_use_check_answer.html", context)
    return render(request, "access/use_check.html", context, status_code=status_code)


def question_fields(request: Request) -> dict[str, Any]:
    """The form's fields as typed (kept to fill the form in again)."""
    query = request.query_params
    return {
        "ticked": [p for p in query.getlist("purpose") if p][:10],
        "other_purpose": query.get("other_purpose", "")[:300],
        "diseases": query.get("diseases", "")[:500],
        "commercial": query.get("commercial") == "on",
        "country": query.get("country", "").strip()[:2].upper(),
    }


def question_body(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "purpose": [*fields["ticked"], *codes(fields["other_purpose"])],
        "diseases": codes(fields["diseases"]),
        "commercial": fields["commercial"],
        "country": fields["country"] or None,
    }


def use_check_section(
    session: Session, principal: Principal | None, version: DatasetVersion
) -> dict[str, Any] | None:
    """What the dataset page shows of its agreement and the empty checker form (None: no
    agreement governs the version, or it is not published)."""
    attached = agreements.governing(session, version.id)
    if attached is None or version.state != VersionState.PUBLISHED:
        return None
    country = ""
    if principal is not None and principal.can_anywhere(Permission.AGREEMENT_CHECK):
        country = identity.get_user(session, principal.user_id).country
    return {
        "agreement": {
            "title": attached.title,
            "ref": agreements.ref_of(attached),
            "url": f"/agreements/{attached.agreement_id}/versions/{attached.number}",
        },
        "may_check": principal is not None and bool(country),
        "dataset": {"id": version.dataset_id, "number": version.number, "title": version.title},
        "form": {"ticked": [], "country": country},
        "purposes": PURPOSES,
    }

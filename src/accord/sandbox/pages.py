"""Sandbox pages: the query page (table schemas, never values), the job list and a job's
status and result with its suppression notes, and the output checker's queue and review page.

Pages call the same services as the API; forms post back with the session's CSRF token. A
running job's status refreshes itself (htmx) until the job ends.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord.errors import AccordError
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.sandbox import service
from accord.sandbox.models import Job, JobState
from accord.sandbox.privacy import DpQuery
from accord.web.deps import SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require(Permission.SANDBOX_JOB_READ))]
Submitter = Annotated[Principal, Depends(require(Permission.SANDBOX_JOB_SUBMIT))]
Checker = Annotated[Principal, Depends(require(Permission.SANDBOX_OUTPUT_REVIEW))]
PAGE = 50


@router.get("/sandbox", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    cursor: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    jobs, next_cursor = service.list_jobs(session, principal, limit=PAGE, cursor=cursor)
    return render(
        request,
        "sandbox/jobs.html",
        {"jobs": list(reversed(jobs)), "next_cursor": next_cursor},
    )


@router.get("/sandbox/versions", response_class=RedirectResponse)
def open_version(
    _: Reader, version_id: Annotated[str, Query(min_length=1, max_length=40)]
) -> RedirectResponse:
    """The job list's "open the query page" form lands here."""
    return RedirectResponse(f"/sandbox/versions/{quote(version_id.strip())}", status_code=303)


@router.get("/sandbox/versions/{version_id}", response_class=HTMLResponse)
def query_page(
    version_id: str, request: Request, session: SessionDep, principal: Reader
) -> HTMLResponse:
    return _query_form(request, session, principal, version_id)


@router.post("/sandbox/versions/{version_id}/jobs", response_model=None)
def submit_from_page(
    version_id: str,
    request: Request,
    session: SessionDep,
    principal: Submitter,
    sql: Annotated[str, Form(max_length=20_000)] = "",
    dp_json: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        dp = DpQuery.model_validate_json(dp_json) if dp_json.strip() else None
        job = service.submit(session, principal, version_id, sql=sql if dp is None else None, dp=dp)
    except ValidationError as error:
        message = "; ".join(str(e["msg"]) for e in error.errors())
        return _query_form(request, session, principal, version_id, sql, dp_json, message, 422)
    except AccordError as error:
        session.rollback()
        return _query_form(
            request, session, principal, version_id, sql, dp_json, error.message, error.status
        )
    session.commit()
    return RedirectResponse(f"/sandbox/jobs/{job.id}", status_code=303)


def _query_form(
    request: Request,
    session: SessionDep,
    principal: Principal,
    version_id: str,
    sql: str = "",
    dp_json: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    tables = service.table_infos(session, principal, version_id)
    version = service.published_version(session, version_id)
    try:
        budget: Any = service.grant_budget(session, principal, version_id).as_json()
    except AccordError:
        budget = None
    return render(
        request,
        "sandbox/query.html",
        {
            "version": version,
            "tables": tables,
            "budget": budget,
            "sql": sql or _example(tables),
            "dp_json": dp_json,
            "error": error,
        },
        status_code=status,
    )


def _example(tables: list[Any]) -> str:
    if not tables or not tables[0].columns:
        return ""
    first = tables[0]
    column = first.columns[0]["name"]
    return f'SELECT "{column}", count(*) AS n\nFROM {first.table}\nGROUP BY 1\nORDER BY 1'


@router.get("/sandbox/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    job = service.get_job(session, principal, job_id)
    return render(request, "sandbox/job.html", _job_context(session, job))


@router.get("/sandbox/jobs/{job_id}/status", response_class=HTMLResponse)
def job_status(
    job_id: str, request: Request, session: SessionDep, principal: Reader
) -> HTMLResponse:
    """The status block alone (htmx swaps it in while the job runs)."""
    job = service.get_job(session, principal, job_id)
    return render(request, "sandbox/_status.html", _job_context(session, job))


def _job_context(session: SessionDep, job: Job) -> dict[str, Any]:
    released = job.state == JobState.RELEASED
    return {
        "job": job,
        "finished": JobState(job.state).finished,
        "result": job.result if released else None,
        "hidden": _hidden_cells(job.result) if released else set(),
        "outputs": service.outputs_of(session, job) if released else [],
    }


def _hidden_cells(result: dict[str, Any] | None) -> set[tuple[int, int | None]]:
    notes = (result or {}).get("notes", [])
    return {(int(n["row"]), n["column"]) for n in notes}


# --- the output checker --------------------------------------------------------------------


@router.get("/sandbox/review", response_class=HTMLResponse)
def review_queue_page(
    request: Request,
    session: SessionDep,
    principal: Checker,
    cursor: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    jobs, next_cursor = service.review_queue(session, principal, limit=PAGE, cursor=cursor)
    return render(request, "sandbox/review_queue.html", {"jobs": jobs, "next_cursor": next_cursor})


@router.get("/sandbox/review/{job_id}", response_class=HTMLResponse)
def review_page(
    job_id: str, request: Request, session: SessionDep, principal: Checker
) -> HTMLResponse:
    return _review(request, session, principal, job_id)


@router.post("/sandbox/review/{job_id}", response_model=None)
def review_from_page(
    job_id: str,
    request: Request,
    session: SessionDep,
    principal: Checker,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if decision not in {"release", "withhold"}:
        return _review(request, session, principal, job_id, "choose release or withhold", 422)
    try:
        service.review(
            session,
            principal,
            job_id,
            "release" if decision == "release" else "withhold",
            reason,
        )
    except AccordError as error:
        session.rollback()
        return _review(request, session, principal, job_id, error.message, error.status)
    session.commit()
    return RedirectResponse("/sandbox/review", status_code=303)


def _review(
    request: Request,
    session: SessionDep,
    principal: Principal,
    job_id: str,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    job = service.reviewable_job(session, principal, job_id)
    return render(
        request,
        "sandbox/review.html",
        {
            "job": job,
            "result": job.result or {},
            "raw": job.raw_result,
            "hidden": _hidden_cells(job.result),
            "error": error,
        },
        status_code=status,
    )

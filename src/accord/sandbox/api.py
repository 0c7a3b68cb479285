"""Sandbox API: jobs, their results and released files, output review, tables, budgets.

Routes parse, authorise (one declared permission each; object rights in the service), call the
service and shape the answer. A job is submitted with ``POST /api/v1/jobs`` (202: it waits in
the queue) and decided with ``POST /api/v1/jobs/{id}/review``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.paging import Page
from accord.sandbox import pages, schemas, service
from accord.sandbox.models import Job, JobState
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.responses import blob_response
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged
from accord.web.security import require

api = APIRouter(prefix="/api/v1", tags=["sandbox"])

Submitter = Annotated[Principal, Depends(require(Permission.SANDBOX_JOB_SUBMIT))]
Reader = Annotated[Principal, Depends(require(Permission.SANDBOX_JOB_READ))]
Checker = Annotated[Principal, Depends(require(Permission.SANDBOX_OUTPUT_REVIEW))]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=60)]


@api.post("/jobs", status_code=202, response_model=schemas.JobOut)
def submit_job(
    body: schemas.JobCreate, session: SessionDep, principal: Submitter
) -> schemas.JobOut:
    """Queue a job; it runs in a worker beside the data, and its output is checked."""
    job = service.submit(session, principal, body.version_id, sql=body.sql, dp=body.dp)
    session.commit()
    return schemas.JobOut.of(job)


@api.post("/jobs/{job_id}/reruns", status_code=202, response_model=schemas.JobOut)
def rerun_job(job_id: str, session: SessionDep, principal: Submitter) -> schemas.JobOut:
    """Queue an SQL job's query again on the same dataset version (its record names it)."""
    job = service.rerun(session, principal, job_id)
    session.commit()
    return schemas.JobOut.of(job)


@api.get("/jobs", response_model=Page[schemas.JobOut])
def list_jobs(
    session: SessionDep,
    response: Response,
    principal: Reader,
    state: JobState | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.JobOut]:
    """Your jobs, oldest first."""
    rows, next_cursor = service.list_jobs(
        session, principal, limit=limit, cursor=cursor, state=state
    )
    items = [schemas.JobOut.of(j) for j in rows]
    return paged(response, "/api/v1/jobs", items, next_cursor, limit)


@api.get("/jobs/{job_id}", response_model=schemas.JobOut)
def get_job(job_id: str, session: SessionDep, principal: Reader) -> schemas.JobOut:
    return schemas.JobOut.of(service.get_job(session, principal, job_id))


@api.get("/jobs/{job_id}/result", response_model=schemas.ResultOut)
def get_result(job_id: str, session: SessionDep, principal: Reader) -> schemas.ResultOut:
    """The released output, with a note for every hidden value."""
    job = service.released_job(session, principal, job_id)
    return result_of(session, job)


@api.get("/jobs/{job_id}/outputs/{name}", response_class=Response)
def get_output(
    job_id: str,
    name: str,
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: Reader,
) -> Response:
    """A released file: ``result.csv``, ``manifest.json`` or ``manifest.sig``."""
    output = service.output_file(session, principal, job_id, name)
    return blob_response(
        request,
        blob_store_of(node),
        BlobInfo(output.sha256, output.size),
        media_type=output.media_type,
        filename=f"{job_id}-{output.name}",
    )


@api.get("/reviews/jobs", response_model=Page[schemas.JobOut])
def review_queue(
    session: SessionDep,
    response: Response,
    principal: Checker,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.JobOut]:
    """Checked outputs waiting for an output checker (of datasets you check)."""
    rows, next_cursor = service.review_queue(session, principal, limit=limit, cursor=cursor)
    items = [schemas.JobOut.of(j) for j in rows]
    return paged(response, "/api/v1/reviews/jobs", items, next_cursor, limit)


@api.get("/jobs/{job_id}/review", response_model=schemas.ReviewOut)
def get_review(job_id: str, session: SessionDep, principal: Checker) -> schemas.ReviewOut:
    """The query, the result before and after the checks, and the checks' notes."""
    job = service.reviewable_job(session, principal, job_id)
    return schemas.ReviewOut(
        job=schemas.JobOut.of(job),
        query=job.query,
        researcher_id=job.user_id,
        checked=result_of(session, job),
        unchecked=job.raw_result,
    )


@api.post("/jobs/{job_id}/review", response_model=schemas.JobOut)
def review_job(
    job_id: str, body: schemas.ReviewIn, session: SessionDep, principal: Checker
) -> schemas.JobOut:
    """Release or withhold a checked output, with reasons."""
    job = service.review(session, principal, job_id, body.decision, body.reason)
    session.commit()
    return schemas.JobOut.of(job)


@api.get("/tables", response_model=schemas.TablesOut)
def get_tables(
    session: SessionDep,
    principal: Reader,
    version_id: Annotated[str, Query(max_length=40)],
) -> schemas.TablesOut:
    """The tables of a version in the sandbox: names and column types, never values."""
    infos = service.table_infos(session, principal, version_id)
    return schemas.TablesOut(
        version_id=version_id,
        tables=[
            schemas.TableOut(
                table=t.table,
                path=t.path,
                format=t.format,
                size=t.size,
                columns=[schemas.ColumnOut(**c) for c in t.columns],
                error=t.error,
            )
            for t in infos
        ],
    )


@api.get("/budgets", response_model=schemas.BudgetOut)
def get_budget(
    session: SessionDep,
    principal: Reader,
    version_id: Annotated[str, Query(max_length=40)],
) -> schemas.BudgetOut:
    """Your privacy budget (epsilon) on a version's dataset: the total your grant's agreement
    sets, what all your grants on the dataset have spent, and what remains."""
    found = service.grant_budget(session, principal, version_id)
    return schemas.BudgetOut(**found.as_json())


def result_of(session: Session, job: Job) -> schemas.ResultOut:
    result: dict[str, Any] = job.result or {}
    return schemas.ResultOut(
        job_id=job.id,
        columns=result.get("columns", []),
        types=result.get("types", []),
        rows=result.get("rows", []),
        notes=[schemas.Note(**n) for n in result.get("notes", [])],
        flags=result.get("flags", []),
        dp=result.get("dp"),
        manifest_sha256=job.manifest_sha256,
        outputs=[schemas.OutputOut.of(o) for o in service.outputs_of(session, job)],
    )


router = APIRouter()
"""The sandbox's routes: the API and the web pages."""
router.include_router(api)
router.include_router(pages.router)

"""Sandbox operations for people: submit a job, follow it, read its result, review outputs.

Plain functions over a session and explicit arguments; each state change is logged to the
ledger in the same transaction (DESIGN.md rule 1); callers commit. A job is submitted under
the researcher's active sandbox grant for the version (``grants.GrantSource``); the query is
read and refused at once when it may not run, so that only runnable jobs enter the queue.
Workers take it from there (``sandbox.queue`` and ``sandbox.runner``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from accord import ledger
from accord.catalog.access import is_steward
from accord.catalog.models import DatasetVersion, VersionState
from accord.catalog.service import pid_of
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import has_prefix, new_id
from accord.node import node_of
from accord.paging import fetch_page
from accord.sandbox import budget
from accord.sandbox.columns import TableInfo, tables_of
from accord.sandbox.environment import job_environment
from accord.sandbox.grants import SandboxGrant, grant_source_of
from accord.sandbox.models import Job, JobKind, JobState, Output
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.privacy import DpQuery
from accord.sandbox.release import release_job, withhold_job
from accord.sandbox.signals import notify_workers
from accord.sandbox.sql import Plan, QueryRefused, RowLevelPlan, plan_to_json, reader
from accord.sandbox.tables import tabular_files


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()


# --- submitting ----------------------------------------------------------------------------


def submit(
    session: Session,
    actor: Principal,
    version_id: str,
    *,
    sql: str | None = None,
    dp: DpQuery | None = None,
) -> Job:
    """Queue a job (SQL or a DP measurement) about ``version_id`` under the actor's grant."""
    if (sql is None) == (dp is None):
        raise InvalidInput(
            N_("send either sql or dp"),
            code="sandbox.invalid-job",
            errors=[FieldError("sql", N_("give a SELECT, or a dp measurement, not both"))],
        )
    version = published_version(session, version_id)
    now = _now(session)
    grant = _grant_for(session, actor, version, now)
    names = [t.table for t in tabular_files(version.files)]
    if not names:
        raise Conflict(
            _l(
                "%(dataset)s@v%(number)s has no CSV or Parquet file to query",
                dataset=version.dataset_id,
                number=version.number,
            ),
            code="sandbox.no-tables",
        )
    plan: dict[str, Any] | None = None
    if sql is not None:
        plan = plan_to_json(_check_sql(sql, names, grant.policy))
        kind, text = JobKind.SQL, sql.strip()
    else:
        assert dp is not None
        _check_dp(dp, names, grant.policy)
        kind, text = JobKind.DP, json.dumps(dp.model_dump(mode="json"), sort_keys=True)
    job = _queue(session, actor, version, grant, kind, text, now)
    job.plan = plan
    if dp is not None:
        budget.spend(session, _budget_scope(grant), job.id, budget.to_micro(dp.epsilon), now)
        job.epsilon_micro = budget.to_micro(dp.epsilon)
    notify_workers(session)
    return job


def _queue(
    session: Session,
    actor: Principal,
    version: DatasetVersion,
    grant: SandboxGrant,
    kind: JobKind,
    text: str,
    now: datetime,
) -> Job:
    job = Job(
        id=new_id("job"),
        environment=job_environment(pid_of(session, version), version.files),
        user_id=actor.user_id,
        grant_id=grant.grant_id,
        dataset_id=version.dataset_id,
        version_id=version.id,
        kind=kind.value,
        query=text,
        query_sha256=hashlib.sha256(text.encode()).hexdigest(),
        policy=grant.policy.model_dump(mode="json"),
        grant_expires_at=grant.expires_at,
        state=JobState.QUEUED.value,
        progress=0,
        submitted_at=now,
        review_required=False,
    )
    session.add(job)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "sandbox.job.submitted",
            subjects={"actor": actor.user_id},
            public={
                "job": job.id,
                "dataset": version.dataset_id,
                "version": version.number,
                "grant": grant.grant_id,
                "kind": kind.value,
                "query_sha256": job.query_sha256,
            },
            record={"query": text},
        ),
    )
    return job


def _check_sql(sql: str, names: Sequence[str], policy: DisclosurePolicy) -> Plan:
    plan = reader().plan(sql, names, top_n=policy.top_contributors)
    if isinstance(plan, RowLevelPlan) and not policy.microdata:
        raise QueryRefused(
            f"row-level output is not allowed under this grant: {plan.reason}",
            code="sandbox.row-level-refused",
            hint="aggregate the rows (GROUP BY with count, sum, avg…); "
            "the agreement does not allow microdata to leave",
            errors=[FieldError("sql", plan.reason)],
        )
    return plan


def _check_dp(dp: DpQuery, names: Sequence[str], policy: DisclosurePolicy) -> None:
    if policy.privacy_budget is None:
        raise Forbidden(
            N_("the agreement sets no privacy budget: DP measurements are not available"),
            code="sandbox.no-privacy-budget",
            hint=N_("send an SQL job; its output goes through disclosure checks"),
        )
    if dp.table not in names:
        raise InvalidInput(
            _l(
                "no table %(table)r; the tables are: %(items)s",
                table=dp.table,
                items=", ".join(names),
            ),
            code="sandbox.invalid-job",
            errors=[FieldError("dp.table", N_("not a table of this version"))],
        )


def _grant_for(
    session: Session, actor: Principal, version: DatasetVersion, now: datetime
) -> SandboxGrant:
    grant = grant_source_of(node_of(session)).active_sandbox_grant(
        session, actor.user_id, version.id, now
    )
    if grant is None:
        raise Forbidden(
            _l(
                "you hold no active sandbox grant for %(dataset)s@v%(number)s",
                dataset=version.dataset_id,
                number=version.number,
            ),
            code="sandbox.no-grant",
            hint=_l(
                "request access to %(dataset)s with mode sandbox; a data access committee decides",
                dataset=version.dataset_id,
            ),
        )
    return grant


def published_version(session: Session, version_id: str) -> DatasetVersion:
    """A published version by id; drafts and withdrawn versions are not analysed."""
    version = (
        session.get(DatasetVersion, version_id, options=[lazyload("*")])
        if has_prefix(version_id, "dv")
        else None
    )
    if version is None:
        raise NotFound(
            _l("no version %(version_id)r", version_id=version_id[:60]),
            code="catalog.version-not-found",
        )
    if version.state != VersionState.PUBLISHED:
        raise Conflict(
            _l(
                "%(dataset)s@v%(number)s is %(state)s: only published versions are analysed",
                dataset=version.dataset_id,
                number=version.number,
                state=version.state,
            ),
            code="sandbox.version-not-published",
        )
    return version


def rerun(session: Session, actor: Principal, job_id: str) -> Job:
    """Queue the query of an earlier SQL job again, on the same dataset version, under the
    actor's grant; the new job names the one it re-runs (DP measurements are not re-run: each
    run spends budget and draws fresh noise)."""
    earlier = get_job(session, actor, job_id)
    if earlier.user_id != actor.user_id:
        raise Forbidden(N_("only the job's owner re-runs it"), code="sandbox.not-owner")
    if earlier.kind != JobKind.SQL:
        raise Conflict(
            N_("a DP measurement is not re-run: each run spends budget and draws fresh noise"),
            code="sandbox.dp-not-rerun",
            hint=N_("submit a new DP measurement if the budget allows"),
        )
    job = submit(session, actor, earlier.version_id, sql=earlier.query)
    job.rerun_of = earlier.id
    ledger.append(
        session,
        ledger.Event(
            "sandbox.job.rerun-requested",
            subjects={"actor": actor.user_id},
            public={"job": job.id, "rerun_of": earlier.id},
        ),
    )
    return job


# --- reading -------------------------------------------------------------------------------


def get_job(session: Session, viewer: Principal, job_id: str) -> Job:
    """A job its owner, an output checker of its dataset, or an admin may see."""
    job = session.get(Job, job_id) if has_prefix(job_id, "job") else None
    if job is None or not (job.user_id == viewer.user_id or may_review(session, viewer, job)):
        raise NotFound(_l("no job %(job_id)r", job_id=job_id[:60]), code="sandbox.job-not-found")
    return job


def released_job(session: Session, viewer: Principal, job_id: str) -> Job:
    """A job whose output was released, as its owner (or a checker) sees it."""
    job = get_job(session, viewer, job_id)
    if job.state != JobState.RELEASED:
        raise Conflict(
            _l(
                "job %(job_id)s is %(state)s: only released outputs can be read",
                job_id=job.id,
                state=job.state,
            ),
            code="sandbox.not-released",
            hint=_l("follow the job at /api/v1/jobs/%(job_id)s", job_id=job.id),
        )
    return job


def reviewable_job(session: Session, viewer: Principal, job_id: str) -> Job:
    """A job an output checker of its dataset may inspect (queries, raw results)."""
    job = get_job(session, viewer, job_id)
    if not may_review(session, viewer, job):
        raise Forbidden(
            N_("you may not review outputs of this dataset"), code="sandbox.not-checker"
        )
    return job


def may_review(session: Session, viewer: Principal, job: Job) -> bool:
    version = session.get(DatasetVersion, job.version_id)
    return version is not None and viewer.can(
        Permission.SANDBOX_OUTPUT_REVIEW,
        organisation_id=version.dataset.organisation_id,
        dataset_id=job.dataset_id,
    )


def list_jobs(
    session: Session,
    viewer: Principal,
    *,
    limit: int,
    cursor: str | None,
    state: JobState | None = None,
) -> tuple[Sequence[Job], str | None]:
    """The viewer's own jobs, oldest first by id, optionally in one state."""
    stmt = select(Job).where(Job.user_id == viewer.user_id)
    if state is not None:
        stmt = stmt.where(Job.state == state.value)
    return fetch_page(session, stmt, Job.id, limit=limit, cursor=cursor)


def review_queue(
    session: Session, viewer: Principal, *, limit: int, cursor: str | None
) -> tuple[list[Job], str | None]:
    """Jobs waiting for an output checker that the viewer may review (not their own)."""
    stmt = select(Job).where(Job.state == JobState.CHECKED.value, Job.review_required.is_(True))
    if cursor:
        stmt = stmt.where(Job.id > cursor)
    found: list[Job] = []
    for job in session.scalars(stmt.order_by(Job.id).limit(1000)):
        if job.user_id != viewer.user_id and may_review(session, viewer, job):
            found.append(job)
            if len(found) > limit:
                break
    if len(found) > limit:
        return found[:limit], found[limit - 1].id
    return found, None


def outputs_of(session: Session, job: Job) -> list[Output]:
    stmt = select(Output).where(Output.job_id == job.id).order_by(Output.name)
    return list(session.scalars(stmt))


def output_file(session: Session, viewer: Principal, job_id: str, name: str) -> Output:
    """A released file of a job the viewer may see."""
    job = get_job(session, viewer, job_id)
    found = next((o for o in outputs_of(session, job) if o.name == name), None)
    if found is None or job.state != JobState.RELEASED:
        raise NotFound(
            _l("job %(job_id)s has no released output %(name)r", job_id=job.id, name=name[:60]),
            code="sandbox.no-output",
        )
    return found


def table_infos(session: Session, viewer: Principal, version_id: str) -> list[TableInfo]:
    """The version's tables with column names and types (never values)."""
    version = published_version(session, version_id)
    now = _now(session)
    holds = grant_source_of(node_of(session)).active_sandbox_grant(
        session, viewer.user_id, version.id, now
    )
    checker = viewer.can(
        Permission.SANDBOX_OUTPUT_REVIEW,
        organisation_id=version.dataset.organisation_id,
        dataset_id=version.dataset_id,
    )
    if holds is None and not checker and not is_steward(viewer, version):
        raise Forbidden(
            _l(
                "the tables of %(dataset)s@v%(number)s are shown to grant holders",
                dataset=version.dataset_id,
                number=version.number,
            ),
            code="sandbox.no-grant",
            hint=_l(
                "request access to %(dataset)s with mode sandbox",
                dataset=version.dataset_id,
            ),
        )
    return tables_of(session, version)


def grant_budget(session: Session, viewer: Principal, version_id: str) -> budget.Budget:
    """The viewer's privacy budget on the version's dataset: the total their grant's agreement
    sets, less what all their grants on the dataset have spent."""
    version = published_version(session, version_id)
    grant = _grant_for(session, viewer, version, _now(session))
    if grant.policy.privacy_budget is None:
        raise NotFound(
            N_("this grant has no privacy budget (the agreement sets none)"),
            code="sandbox.no-privacy-budget",
        )
    return budget.budget_of(session, _budget_scope(grant))


def _budget_scope(grant: SandboxGrant) -> budget.Scope:
    if grant.policy.privacy_budget is None:
        raise RuntimeError(f"grant {grant.grant_id} has no privacy budget")
    return budget.Scope(
        user_id=grant.user_id,
        dataset_id=grant.dataset_id,
        grant_id=grant.grant_id,
        total_micro=budget.total_micro(grant.policy.privacy_budget),
    )


# --- reviewing -----------------------------------------------------------------------------


def review(
    session: Session,
    actor: Principal,
    job_id: str,
    decision: Literal["release", "withhold"],
    reason: str,
) -> Job:
    """An output checker releases or withholds a job's checked output, with reasons."""
    job = reviewable_job(session, actor, job_id)
    if job.user_id == actor.user_id:
        raise Forbidden(
            N_("nobody reviews the outputs of their own jobs"),
            code="sandbox.own-output",
            hint=N_("another output checker reviews this job"),
        )
    if job.state != JobState.CHECKED or not job.review_required:
        raise Conflict(
            _l(
                "job %(job_id)s is %(state)s: only checked outputs waiting for review are decided",
                job_id=job.id,
                state=job.state,
            ),
            code="sandbox.not-awaiting-review",
        )
    text = reason.strip()
    if len(text) < 10:
        raise InvalidInput(
            N_("say why in at least 10 characters"),
            code="sandbox.invalid-review",
            errors=[FieldError("reason", N_("at least 10 characters"))],
        )
    now = _now(session)
    job.reviewer_id = actor.user_id
    job.review_reason = text
    if decision == "release":
        return release_job(session, job, now, reviewer=actor.user_id)
    return withhold_job(session, job, now, reviewer=actor.user_id)


# --- grants that end early -----------------------------------------------------------------


def end_grant(session: Session, grant_id: str, reason: str) -> int:
    """Fail the queued jobs of a grant that was revoked or ended (the access workflow calls
    this); returns how many. Running jobs are stopped by their worker's grant check."""
    now = _now(session)
    jobs = session.scalars(
        select(Job).where(Job.grant_id == grant_id, Job.state == JobState.QUEUED.value)
    ).all()
    for job in jobs:
        job.state = JobState.FAILED.value
        job.error_code = "sandbox.grant-ended"
        job.error_message = f"the grant ended before the job ran: {reason[:200]}"
        job.decided_at = now
        if job.epsilon_micro:
            budget.refund(session, job, now)
        ledger.append(
            session,
            ledger.Event(
                "sandbox.job.failed",
                public={"job": job.id, "grant": grant_id, "code": job.error_code},
                record={"reason": reason},
            ),
        )
    return len(jobs)

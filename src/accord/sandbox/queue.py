"""The durable job queue in the database, as workers use it.

A worker claims the oldest queued job in one short transaction: on PostgreSQL with ``SELECT …
FOR UPDATE SKIP LOCKED`` (several workers never wait for, nor take, the same row), on SQLite
inside the write lock every transaction takes first (``BEGIN IMMEDIATE``), which orders the
claims. A running job carries a lease that its worker renews while it works; a job whose lease
ran out belongs to a worker that died, and fails with ``sandbox.worker-lost``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.sandbox import budget
from accord.sandbox.models import Job, JobState


def has_queued(session: Session) -> bool:
    """Is a job waiting? (a cheap read, so that idle workers never take the write lock)"""
    found = session.scalar(select(Job.id).where(Job.state == JobState.QUEUED.value).limit(1))
    return found is not None


def claim_next(session: Session, worker: str, now: datetime, lease: timedelta) -> Job | None:
    """Take the oldest queued job for ``worker``: it becomes ``running`` under a lease."""
    job = session.scalars(
        select(Job)
        .where(Job.state == JobState.QUEUED.value)
        .order_by(Job.submitted_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    job.state = JobState.RUNNING.value
    job.worker = worker[:120]
    job.started_at = now
    job.lease_until = now + lease
    job.progress = 0
    session.flush()
    ledger.append(
        session,
        ledger.Event("sandbox.job.started", public={"job": job.id, "worker": job.worker}),
    )
    return job


def heartbeat(
    session: Session,
    job_id: str,
    worker: str,
    progress: int | None,
    now: datetime,
    lease: timedelta,
) -> None:
    """Renew the lease of a job this worker runs, and show its progress (logged)."""
    job = session.get(Job, job_id)
    if job is None or job.worker != worker[:120] or job.state != JobState.RUNNING:
        return
    job.lease_until = now + lease
    if progress is not None:
        job.progress = max(0, min(99, progress))
    session.flush()
    ledger.append(
        session,
        ledger.Event("sandbox.job.progressed", public={"job": job.id, "progress": job.progress}),
    )


def fail(session: Session, job: Job, code: str, message: str, now: datetime) -> Job:
    """The job ends without output; a DP job gets its epsilon back (no answer was drawn)."""
    job.state = JobState.FAILED.value
    job.error_code = code[:80]
    job.error_message = message[:2000]
    job.decided_at = now
    session.flush()
    if job.epsilon_micro:
        budget.refund(session, job, now)
    ledger.append(
        session,
        ledger.Event(
            "sandbox.job.failed",
            public={"job": job.id, "grant": job.grant_id, "code": job.error_code},
            record={"message": job.error_message},
        ),
    )
    return job


def requeue(session: Session, job: Job) -> Job:
    """Put back a job its worker stopped before it finished (the worker is shutting down)."""
    job.state = JobState.QUEUED.value
    job.worker = None
    job.lease_until = None
    job.started_at = None
    job.progress = 0
    session.flush()
    ledger.append(session, ledger.Event("sandbox.job.requeued", public={"job": job.id}))
    return job


def fail_lost(session: Session, now: datetime) -> int:
    """Fail running jobs whose worker stopped renewing their lease; returns how many."""
    lost = session.scalars(
        select(Job)
        .where(Job.state == JobState.RUNNING.value, Job.lease_until < now)
        .with_for_update(skip_locked=True)
    ).all()
    for job in lost:
        fail(
            session,
            job,
            "sandbox.worker-lost",
            f"the worker running this job ({job.worker}) stopped answering",
            now,
        )
    return len(lost)

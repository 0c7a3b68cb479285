"""The end of a job: checked, then released (automatically or by an output checker) or withheld.

``record_checked`` stores what the checks found; an output the checks did not flag, under an
agreement that does not send everything to review, is released at once. ``release_job`` writes
the released files (``outputs``) and ``withhold_job`` keeps them in; both are logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.catalog.models import DatasetVersion
from accord.catalog.pids import version_pid
from accord.clock import rfc3339
from accord.ids import new_id
from accord.node import node_of
from accord.sandbox.models import MICRO, Job, JobState, Output
from accord.sandbox.outputs import store_release


def record_checked(
    session: Session,
    job: Job,
    now: datetime,
    *,
    result: dict[str, Any],
    raw_result: dict[str, Any] | None,
    fingerprint: dict[str, Any] | None,
) -> Job:
    """Store a checked result; release it unless the checks or the agreement ask for review."""
    flags: list[str] = list(result.get("flags", []))
    notes: list[dict[str, Any]] = list(result.get("notes", []))
    job.state = JobState.CHECKED.value
    job.progress = 100
    job.checked_at = now
    job.result = result
    job.raw_result = raw_result
    job.fingerprint = fingerprint
    job.review_required = bool(flags)
    job.checks = {"notes": len(notes), "flags": flags}
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "sandbox.job.checked",
            public={
                "job": job.id,
                "suppressed": len(notes),
                "rules": sorted({str(n["rule"]) for n in notes}),
                "review": job.review_required,
            },
            record={"flags": flags, "notes": notes},
        ),
    )
    if not job.review_required:
        release_job(session, job, now, reviewer=None)
    return job


def release_job(session: Session, job: Job, now: datetime, *, reviewer: str | None) -> Job:
    """Write the released files and their signed manifest; the job becomes ``released``."""
    node = node_of(session)
    result = job.result or {}
    number = session.scalar(
        select(DatasetVersion.number).where(DatasetVersion.id == job.version_id)
    )
    if number is None:
        raise RuntimeError(f"job {job.id} names a missing version")
    manifest = {
        "job": job.id,
        "node": node.identity.node_id,
        "dataset": job.dataset_id,
        "version": version_pid(node.identity.node_id, job.dataset_id, number),
        "grant": job.grant_id,
        "kind": job.kind,
        "query_sha256": job.query_sha256,
        "released_at": rfc3339(now),
        "released_by": "output-checker" if reviewer else "automatic checks",
        "checks": {"notes": result.get("notes", []), "flags": result.get("flags", [])},
        "epsilon": None if job.epsilon_micro is None else job.epsilon_micro / MICRO,
    }
    stored = store_release(node, manifest, result.get("columns", []), result.get("rows", []))
    for file in stored.files:
        session.add(
            Output(
                id=new_id("out"),
                job_id=job.id,
                name=file.name,
                sha256=file.sha256,
                size=file.size,
                media_type=file.media_type,
            )
        )
    job.manifest = stored.manifest.decode()
    job.manifest_sha256 = stored.manifest_sha256
    job.state = JobState.RELEASED.value
    job.decided_at = now
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "sandbox.output.released",
            subjects={"actor": reviewer} if reviewer else {},
            public={
                "job": job.id,
                "dataset": job.dataset_id,
                "grant": job.grant_id,
                "manifest_sha256": stored.manifest_sha256,
                "by": "output-checker" if reviewer else "automatic-checks",
            },
            record={"reason": job.review_reason} if reviewer else {},
        ),
    )
    return job


def withhold_job(session: Session, job: Job, now: datetime, *, reviewer: str) -> Job:
    """Keep the output in: nothing leaves; the reasons are recorded."""
    job.state = JobState.WITHHELD.value
    job.decided_at = now
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "sandbox.output.withheld",
            subjects={"actor": reviewer},
            public={"job": job.id, "dataset": job.dataset_id, "grant": job.grant_id},
            record={"reason": job.review_reason},
        ),
    )
    return job

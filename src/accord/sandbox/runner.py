"""Running one claimed job: read it, run it beside the data, check the output, record it.

The database is touched in short transactions only (load the job, renew its lease while the
query runs, record the outcome), never while holding a lock across the query. The job runs the
plan checked at its submission. A job whose grant has expired, or whose query fails or exceeds
a limit, ends ``failed`` with the reason; otherwise its output goes through the checks
(``disclosure``, or the DP release of ``privacy``) and ``release.record_checked``.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from accord.catalog.models import DatasetFile
from accord.errors import AccordError
from accord.node import NodeContext
from accord.sandbox import queue
from accord.sandbox.disclosure import CheckedTable, ReleasedCells, check_aggregate, check_rows
from accord.sandbox.engine import EngineLimits
from accord.sandbox.executor import Executor, Interrupted, QueryFailed, QueryTask, ResultTable
from accord.sandbox.models import Job, JobKind, JobState
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.privacy import DpQuery, aggregate_sql, release
from accord.sandbox.release import record_checked
from accord.sandbox.settings import SandboxSettings
from accord.sandbox.sql import AggregatePlan, Fingerprint, Plan, plan_from_json, reader
from accord.sandbox.tables import local_sources, tabular_files
from accord.storage.blobs import blob_store_of

HEARTBEAT_SECONDS = 5.0
"""How often a running job's progress and lease are written (and logged)."""


@dataclass(frozen=True)
class Loaded:
    """What the worker needs of a job, read in one short transaction."""

    job_id: str
    policy: DisclosurePolicy
    task: QueryTask
    plan: Plan | None
    dp: DpQuery | None
    earlier: tuple[ReleasedCells, ...]


class JobRunner:
    """Runs claimed jobs for one worker."""

    def __init__(
        self, node: NodeContext, settings: SandboxSettings, worker: str, stop: threading.Event
    ) -> None:
        self.node = node
        self.settings = settings
        self.worker = worker
        self.stop = stop
        self.lease = timedelta(seconds=settings.lease_seconds)
        self.executor = Executor(
            limits=EngineLimits(
                threads=settings.threads,
                memory_limit=settings.duckdb_memory_limit,
                temp_limit_mb=settings.temp_limit_mb,
            ),
            time_limit=settings.time_limit_seconds,
            memory_limit_bytes=settings.memory_limit_mb * 2**20,
        )

    def close(self) -> None:
        """End the query process kept ready for the next job."""
        self.executor.close()

    def run_next(self) -> str | None:
        """Claim the oldest queued job, run it and record how it ended; its id, or None."""
        with self.node.session() as session:
            job = queue.claim_next(session, self.worker, _now(self.node), self.lease)
            if job is None:
                return None
            job_id = job.id
            spill = self.node.settings.data_dir / "sandbox" / "tmp" / job_id
            try:
                loaded = self._load(session, job, spill)
            except AccordError as error:
                queue.fail(session, job, error.code, error.message, _now(self.node))
                loaded = None
            session.commit()
        try:
            if loaded is not None:
                self._run(loaded)
        finally:
            shutil.rmtree(spill, ignore_errors=True)
            self.executor.prepare()
        return job_id

    def _run(self, loaded: Loaded) -> None:
        try:
            result = self.executor.run(loaded.task, self._progress(loaded.job_id), self.stop)
            self._record(loaded, result)
        except Interrupted:
            self._finish(loaded.job_id, queue.requeue)
        except AccordError as error:
            self._fail(loaded.job_id, error)

    # --- loading -------------------------------------------------------------------------

    def _load(self, session: Session, job: Job, spill: Path) -> Loaded:
        """What the job needs, read in the transaction that claims it."""
        if job.grant_expires_at <= _now(self.node):
            raise QueryFailed("the grant expired before the job ran", code="sandbox.grant-ended")
        files = session.scalars(
            select(DatasetFile)
            .options(lazyload("*"))
            .where(DatasetFile.version_id == job.version_id)
        ).all()
        tables = tabular_files(files)
        policy = DisclosurePolicy.model_validate(job.policy)
        plan, dp, sql = self._plan(job, [t.table for t in tables], policy)
        earlier = _released_cells(session, job) if isinstance(plan, AggregatePlan) else []
        cache = self.node.settings.data_dir / "sandbox" / "cache"
        spill.mkdir(parents=True, exist_ok=True)
        task = QueryTask(
            sql=sql,
            tables=tuple(local_sources(tables, blob_store_of(self.node), cache)),
            temp_directory=str(spill),
            max_rows=self.settings.max_result_rows,
            max_columns=self.settings.max_result_columns,
        )
        return Loaded(job.id, policy, task, plan, dp, tuple(earlier))

    @staticmethod
    def _plan(
        job: Job, names: Sequence[str], policy: DisclosurePolicy
    ) -> tuple[Plan | None, DpQuery | None, str]:
        """What to run: the plan checked at submission (read again if there is none)."""
        if job.kind == JobKind.DP:
            dp = DpQuery.model_validate_json(job.query)
            return None, dp, aggregate_sql(dp)
        if job.plan:
            plan = plan_from_json(job.plan)
        else:
            plan = reader().plan(job.query, names, top_n=policy.top_contributors)
        return plan, None, plan.sql

    # --- while the query runs ------------------------------------------------------------

    def _progress(self, job_id: str) -> Callable[[int], None]:
        last = [time.monotonic()]

        def report(percent: int) -> None:
            moment = time.monotonic()
            if moment - last[0] < HEARTBEAT_SECONDS:
                return
            last[0] = moment
            with self.node.session() as session:
                queue.heartbeat(
                    session,
                    job_id,
                    self.worker,
                    percent if percent >= 0 else None,
                    _now(self.node),
                    self.lease,
                )
                session.commit()

        return report

    # --- recording -----------------------------------------------------------------------

    def _record(self, loaded: Loaded, result: ResultTable) -> None:
        outcome = _checked(loaded, result)
        with self.node.session() as session:
            job = session.get(Job, loaded.job_id)
            if job is None or job.state != JobState.RUNNING:
                return
            record_checked(session, job, _now(self.node), **outcome)
            session.commit()

    def _fail(self, job_id: str, error: AccordError) -> None:
        code, message, now = error.code, error.message, _now(self.node)
        self._finish(job_id, lambda session, job: queue.fail(session, job, code, message, now))

    def _finish(self, job_id: str, change: Callable[[Session, Job], Job]) -> None:
        with self.node.session() as session:
            job = session.get(Job, job_id)
            if job is not None and job.state == JobState.RUNNING:
                change(session, job)
                session.commit()


def _checked(loaded: Loaded, result: ResultTable) -> dict[str, Any]:
    """The result as it may leave, the unsuppressed result for checkers, and the fingerprint."""
    if loaded.dp is not None:
        released = release(loaded.dp, result.rows)
        flags = (
            ["the agreement sends every output to review"]
            if loaded.policy.review == "always"
            else []
        )
        return {
            "result": {
                "columns": list(released.columns),
                "types": [],
                "rows": released.rows,
                "notes": [],
                "flags": flags,
                "dp": released.as_json(),
            },
            "raw_result": None,
            "fingerprint": None,
        }
    plan = loaded.plan
    if isinstance(plan, AggregatePlan):
        checked = check_aggregate(plan, result, loaded.policy, loaded.earlier)
        raw = [list(row[: plan.width]) for row in result.rows]
        fingerprint = {**plan.fingerprint.as_json(), "rows": checked.released_rows}
        return {
            "result": _table_json(checked),
            "raw_result": {"columns": list(checked.columns), "rows": raw},
            "fingerprint": fingerprint,
        }
    assert plan is not None
    if not loaded.policy.microdata:
        raise QueryFailed(
            f"row-level output is not allowed under this grant: {plan.reason}",
            code="sandbox.row-level-refused",
        )
    return {
        "result": _table_json(check_rows(result, loaded.policy, plan.reason)),
        "raw_result": None,
        "fingerprint": None,
    }


def _table_json(checked: CheckedTable) -> dict[str, Any]:
    return {
        "columns": list(checked.columns),
        "types": list(checked.types),
        "rows": checked.rows,
        "notes": [n.as_json() for n in checked.notes],
        "flags": list(checked.flags),
        "dp": None,
    }


def _released_cells(session: Session, job: Job) -> list[ReleasedCells]:
    """Earlier released SQL outputs of the same grant and version (for differencing)."""
    rows = session.execute(
        select(Job.id, Job.fingerprint).where(
            Job.grant_id == job.grant_id,
            Job.version_id == job.version_id,
            Job.kind == JobKind.SQL.value,
            Job.state == JobState.RELEASED.value,
        )
    ).all()
    return [
        ReleasedCells(job_id, Fingerprint.from_json(found), dict(found["rows"]))
        for job_id, found in rows
        if found
    ]


def _now(node: NodeContext) -> datetime:
    return node.clock.now()

"""The queue and its workers: two worker processes share the load on SQLite and PostgreSQL, a
stopped worker puts its job back, a dead worker's job fails as lost, claims skip locked rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from accord.clock import SettableClock
from accord.db import is_sqlite
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext, write_identity
from accord.sandbox import queue
from accord.sandbox.models import Job, JobState
from accord.sandbox.worker import Worker
from tests.sandbox.conftest import World

SLOW = "SELECT count(*) FROM people a, people b, people c, people d, people e"
QUICK = "SELECT sex, count(*) FROM people GROUP BY 1"


@pytest.fixture
def real_time(clock: SettableClock) -> None:
    """Worker processes read the system clock: make the test's clock agree with it."""
    clock.set(datetime.now(UTC))


@pytest.fixture
def start_workers(node: NodeContext) -> Iterator[Callable[[int], list[subprocess.Popen[bytes]]]]:
    started: list[subprocess.Popen[bytes]] = []
    write_identity(node.settings.data_dir, node.identity)

    def start(count: int) -> list[subprocess.Popen[bytes]]:
        env = {
            **os.environ,
            "ACCORD_DATABASE_URL": str(node.engine.url.render_as_string(hide_password=False)),
            "ACCORD_SANDBOX_POLL_SECONDS": "0.05",
            "ACCORD_SANDBOX_TIME_LIMIT_SECONDS": "120",
            "ACCORD_SANDBOX_THREADS": "1",
        }
        command = [sys.executable, "-m", "accord", "--data-dir", str(node.settings.data_dir)]
        for _ in range(count):
            started.append(subprocess.Popen([*command, "worker"], env=env))
        return started

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def wait_for(node: NodeContext, job_id: str, states: set[str], seconds: float = 90) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with node.session(readonly=True) as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.state in states:
                return job
        time.sleep(0.1)
    raise AssertionError(f"{job_id} did not reach {states} in {seconds} s")


def started_events(node: NodeContext) -> list[str]:
    with node.session() as s:
        rows = s.scalars(
            select(LedgerEntry.event_type).where(LedgerEntry.event_type == "sandbox.job.started")
        )
        return list(rows)


def test_two_worker_processes_share_the_queue(
    real_time: None,
    world: World,
    start_workers: Callable[[int], list[subprocess.Popen[bytes]]],
) -> None:
    workers = start_workers(2)
    slow = world.submit(sql=SLOW).json()["id"]
    busy = wait_for(world.node, slow, {"running"})
    quick = [world.submit(sql=QUICK).json()["id"] for _ in range(2)]
    done = [wait_for(world.node, job_id, {"released"}) for job_id in quick]
    assert busy.worker not in {job.worker for job in done}, "the other worker took them"
    assert wait_for(world.node, slow, {"running"}).worker == busy.worker, "still running"
    assert len(started_events(world.node)) == 3, "each job was started exactly once"
    for process in workers:
        process.send_signal(signal.SIGTERM)
    for process in workers:
        assert process.wait(timeout=60) == 0
    requeued = wait_for(world.node, slow, {"queued"}, seconds=5)
    assert requeued.worker is None and requeued.started_at is None


def test_jobs_are_taken_oldest_first(world: World) -> None:
    first = world.submit(sql=QUICK).json()["id"]
    world.clock.advance(timedelta(seconds=1))
    second = world.submit(sql=QUICK).json()["id"]
    assert world.worker.run_once() == first
    assert world.worker.run_once() == second
    assert world.worker.run_once() is None


def test_a_job_whose_worker_died_fails_as_lost(world: World) -> None:
    job_id = world.submit(sql=QUICK).json()["id"]
    now = world.clock.now()
    with world.node.session() as s:
        claimed = queue.claim_next(s, "gone:1", now, timedelta(seconds=30))
        assert claimed is not None and claimed.id == job_id
        s.commit()
    with world.node.session() as s:
        assert queue.fail_lost(s, now + timedelta(seconds=10)) == 0
        assert queue.fail_lost(s, now + timedelta(seconds=31)) == 1
        s.commit()
    lost = world.job(job_id)
    assert lost["state"] == "failed" and lost["error"]["code"] == "sandbox.worker-lost"
    assert "gone:1" in lost["error"]["message"]


def test_claims_skip_rows_another_worker_holds(world: World) -> None:
    if is_sqlite(world.node.engine):
        pytest.skip("SQLite orders claims with its write lock; SKIP LOCKED is PostgreSQL's")
    first = world.submit(sql=QUICK).json()["id"]
    world.clock.advance(timedelta(seconds=1))
    second = world.submit(sql=QUICK).json()["id"]
    with world.node.session() as holder, world.node.session() as claimer:
        held = holder.scalars(select(Job).where(Job.id == first).with_for_update()).one()
        assert held.state == "queued"
        claimed = queue.claim_next(claimer, "b:2", world.clock.now(), timedelta(seconds=30))
        assert claimed is not None and claimed.id == second, "the locked row was skipped"
        claimer.commit()
        holder.rollback()


def test_a_stopped_worker_does_not_start_new_jobs(world: World) -> None:
    world.submit(sql=QUICK)
    stopped = Worker(world.node, name="stopping")
    stopped.stop.set()
    assert stopped.run_until_idle() == 0
    with world.node.session() as s:
        states = list(s.scalars(select(Job.state)))
    assert states == [JobState.QUEUED.value]

"""The queue and its workers: two worker processes share the load on SQLite and PostgreSQL, a
stopped worker puts its job back, a dead worker's job fails as lost, claims skip locked rows;
a researcher's grants share one privacy budget while two workers run and refund its jobs; a
worker killed outright leaves no query process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accord.clock import SettableClock
from accord.db import is_sqlite
from accord.errors import Conflict
from accord.identity import service as identity
from accord.ledger.models import LedgerEntry
from accord.node import NodeContext, write_identity
from accord.sandbox import queue, service
from accord.sandbox.models import Job, JobState
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.privacy import DpQuery
from accord.sandbox.worker import Worker
from tests.sandbox.conftest import World, grant_sandbox

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


def test_two_grants_share_one_budget_under_two_worker_processes(
    real_time: None,
    world: World,
    start_workers: Callable[[int], list[subprocess.Popen[bytes]]],
) -> None:
    world.policy = DisclosurePolicy(privacy_budget=1.0)
    start_workers(2)
    count = {"measure": "count", "table": "people", "epsilon": 0.2}
    broken = {"measure": "sum", "table": "people", "column": "no_such", "bounds": [0, 1]}
    first = [world.submit(dp=count).json(), world.submit(dp={**broken, "epsilon": 0.2}).json()]
    assert {job["grant_id"] for job in first} == {world.grant_id}
    failed = wait_for(world.node, first[1]["id"], {"failed"})
    assert failed.error_code == "sandbox.query-error", "a worker refunded its 0.2"

    world.clock.advance(timedelta(days=1))  # a second grant, ending later: jobs now use it
    second_grant = grant_sandbox(world.node, world.researcher, world.dataset_id)
    outcomes = submit_at_once(world, 8, count)
    assert sorted(outcomes) == ["queued"] * 4 + ["sandbox.budget-exhausted"] * 4, (
        "1 = 0.2 + 4 × 0.2"
    )
    jobs = [wait_for(world.node, first[0]["id"], {"released"})]
    with world.node.session() as s:
        queued = s.scalars(select(Job.id).where(Job.grant_id == second_grant)).all()
    jobs += [wait_for(world.node, job_id, {"released"}) for job_id in queued]
    assert len(jobs) == 5
    budget = world.client.get(
        "/api/v1/budgets", headers=world.researcher.headers, params={"version_id": world.version_id}
    ).json()
    assert budget["grant_id"] == second_grant
    assert (budget["spent_epsilon"], budget["remaining_epsilon"]) == (1.0, 0.0)
    trail = ledger_types(world.node)
    assert trail.count("sandbox.budget.spent") - trail.count("sandbox.budget.refunded") == 5


def submit_at_once(world: World, count: int, dp: dict[str, Any]) -> list[str]:
    """Submit ``count`` DP jobs from as many threads at the same moment; each job's state, or
    the code of its refusal."""
    outcomes: list[str] = []
    start = threading.Barrier(count)
    with world.node.session() as s:
        researcher = identity.principal_for(identity.get_user(s, world.researcher.id), via="token")

    def submit() -> None:
        with world.node.session() as s:
            start.wait()
            try:
                job = service.submit(s, researcher, world.version_id, dp=DpQuery(**dp))
                s.commit()
                outcomes.append(job.state)
            except Conflict as refused:
                s.rollback()
                outcomes.append(refused.code)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def ledger_types(node: NodeContext) -> list[str]:
    with node.session() as s:
        return list(s.scalars(select(LedgerEntry.event_type)))


def test_a_worker_killed_outright_leaves_no_query_process_behind(
    real_time: None,
    world: World,
    start_workers: Callable[[int], list[subprocess.Popen[bytes]]],
) -> None:
    (worker,) = start_workers(1)
    wait_for(world.node, world.submit(sql=QUICK).json()["id"], {"released"})
    ready = children_of(worker.pid)
    deadline = time.monotonic() + 30
    while not ready and time.monotonic() < deadline:  # the next query process is forked after
        time.sleep(0.1)
        ready = children_of(worker.pid)
    assert ready, "the worker keeps a query process ready for the next job"
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in ready) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in ready), "it ended with its worker"


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from ``/proc``)."""
    found: list[int] = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        if any(line.split() == ["PPid:", str(pid)] for line in lines):
            found.append(int(status.parent.name))
    return found

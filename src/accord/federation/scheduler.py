"""Federation on a schedule: harvesting and witnessing each active peer, and reading back the
status of cross-node requests, in a long-running process (``accord federation run``).

Several scheduler processes may run against one database (several hosts of a PostgreSQL
node): a task runs only under its lease, a ``federation_leases`` row taken by one conditional
statement (``UPDATE … WHERE expires_at <= now``, or the row's first ``INSERT``), so two
processes never harvest or witness the same peer at once. A finished task keeps its lease until
it is next due, so the lease also spaces the runs; a failed one is retried sooner. Each task
runs in its own transaction, with its own log entries (``harvest``, ``witness``, ``refresh``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.errors import AccordError
from accord.federation import harvest, peers, remote_requests, witness
from accord.federation.models import Lease
from accord.node import NodeContext, node_of

log = logging.getLogger("accord.federation.scheduler")
RUNNING = timedelta(minutes=10)
"""How long a task may run before another process may take it over (a crashed holder)."""
RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class Intervals:
    harvest: timedelta = timedelta(minutes=15)
    witness: timedelta = timedelta(minutes=5)
    requests: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class Done:
    """One task a round ran: its name, ``ok`` or ``failed``, and what it reported."""

    task: str
    outcome: str
    detail: str


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim(session: Session, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take the lease on ``name`` until ``until`` if it is free (expired or never taken);
    commits. Safe between processes: one conditional statement decides."""
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.expires_at <= now)
        .values(holder=holder, expires_at=until)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return True
    session.rollback()
    if session.get(Lease, name) is not None:
        return False
    session.add(Lease(name=name, holder=holder, expires_at=until))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def hold_until(session: Session, name: str, holder: str, until: datetime) -> None:
    """Keep the lease (ours) until ``until``: when the task is next due, or retried."""
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=until)
    )
    session.commit()


class Scheduler:
    """Runs due federation tasks of one node; ``run_round`` once, ``serve`` until stopped."""

    def __init__(
        self,
        node: NodeContext,
        *,
        intervals: Intervals = Intervals(),
        holder: str | None = None,
    ) -> None:
        self.node = node
        self.intervals = intervals
        self.holder = holder or default_holder()
        self._stop = threading.Event()

    def run_round(self) -> list[Done]:
        done: list[Done] = []
        with self.node.session(readonly=True) as session:
            active = [p.id for p in peers.active_peers(session)]
        for peer_id in active:
            done += self._task(f"harvest:{peer_id}", self.intervals.harvest, _harvest(peer_id))
            done += self._task(f"witness:{peer_id}", self.intervals.witness, _witness(peer_id))
        done += self._task("requests", self.intervals.requests, _refresh_requests)
        return done

    def serve(self, tick: float = 5.0) -> None:
        while not self._stop.is_set():
            for item in self.run_round():
                level = logging.INFO if item.outcome == "ok" else logging.WARNING
                log.log(level, "%s %s: %s", item.task, item.outcome, item.detail)
            self._stop.wait(tick)

    def stop(self) -> None:
        self._stop.set()

    def _task(self, name: str, every: timedelta, run: Callable[[Session], str]) -> list[Done]:
        now = self.node.clock.now()
        with self.node.session() as session:
            if not claim(session, name, self.holder, now, now + RUNNING):
                return []
            try:
                detail = run(session)
                session.commit()
            except (AccordError, httpx.HTTPError) as exc:
                session.rollback()
                hold_until(session, name, self.holder, self.node.clock.now() + min(every, RETRY))
                return [Done(name, "failed", str(exc))]
            hold_until(session, name, self.holder, now + every)
            return [Done(name, "ok", detail)]


def _harvest(peer_id: str) -> Callable[[Session], str]:
    def run(session: Session) -> str:
        report = harvest.harvest_peer(node_of(session), peer_id)
        return f"{report.records} records from {report.peer}"

    return run


def _witness(peer_id: str) -> Callable[[Session], str]:
    def run(session: Session) -> str:
        report = witness.witness_peer(session, peer_id)
        return f"{report.peer}: {report.outcome} at size {report.size}"

    return run


def _refresh_requests(session: Session) -> str:
    changed = sum(
        remote_requests.refresh_if_reachable(session, r) for r in remote_requests.pending(session)
    )
    return f"{changed} requests changed"

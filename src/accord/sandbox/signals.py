"""How an idle worker learns that a job is waiting: it polls, and PostgreSQL also wakes it.

On PostgreSQL a submission sends ``NOTIFY accord_sandbox_jobs`` in its own transaction (so the
signal arrives with the commit) and workers ``LISTEN``; on SQLite, workers poll. Polling stays
on in both cases: a missed signal costs at most one poll interval.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accord.db import is_sqlite

CHANNEL = "accord_sandbox_jobs"


def notify_workers(session: Session) -> None:
    """Tell listening workers that a job is queued (delivered when the transaction commits)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


class WakeUp(Protocol):
    def wait(self, seconds: float) -> None:
        """Return after ``seconds``, or sooner when a job may be waiting or on ``stop``."""
        ...

    def close(self) -> None: ...


class Polling:
    """Waits the whole interval unless stopped."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def close(self) -> None:
        return None


class PostgresListener:
    """Waits for a notification on ``CHANNEL`` (or the interval) on a connection of its own."""

    def __init__(self, engine: Engine, stop: threading.Event) -> None:
        self._stop = stop
        self._connection = engine.raw_connection()
        driver: Any = self._connection.driver_connection
        self._connection.detach()  # a connection of its own, never returned to the pool
        driver.autocommit = True
        driver.execute(f"LISTEN {CHANNEL}")
        self._driver = driver

    def wait(self, seconds: float) -> None:
        if self._stop.is_set():
            return
        for _ in self._driver.notifies(timeout=seconds, stop_after=1):
            break

    def close(self) -> None:
        self._connection.close()


def wake_up_for(engine: Engine, stop: threading.Event) -> WakeUp:
    """The best way to wait on this database."""
    if is_sqlite(engine):
        return Polling(stop)
    return PostgresListener(engine, stop)

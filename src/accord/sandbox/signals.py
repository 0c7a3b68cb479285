"""How an idle worker learns that a job is waiting: a signal when one is queued, and polling.

On PostgreSQL a submission sends ``NOTIFY accord_sandbox_jobs`` in its own transaction (so the
signal arrives with the commit) and workers ``LISTEN``. On SQLite every process is on the same
machine: each idle worker listens on a Unix datagram socket in the node's wake-up folder (see
``wake_folder``), and a submission, once committed, sends one byte to each. Polling stays on in
both cases: a missed signal costs at most one poll interval.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import select
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from accord.db import is_sqlite
from accord.node import node_of

CHANNEL = "accord_sandbox_jobs"
log = logging.getLogger("accord.sandbox")


def notify_workers(session: Session) -> None:
    """Tell idle workers that a job is queued, as the session's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        return
    folder = wake_folder(node_of(session).settings.data_dir)
    event.listen(session, "after_commit", lambda _session: poke(folder), once=True)


def wake_folder(data_dir: Path) -> Path:
    """Where this node's idle workers bind their sockets.

    A Unix socket path is limited to about a hundred bytes, so the folder is not inside the data
    directory (which may be deep) but a short one in the system's temporary directory, named
    after the data directory's digest: every process of one node finds the same folder.
    """
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"accord-wake-{digest}"


def poke(folder: Path) -> None:
    """Send a byte to every worker socket in ``folder``; forget sockets nobody listens on."""
    if not folder.is_dir():
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in folder.glob("*.sock"):
            try:
                sender.sendto(b"1", str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                path.unlink(missing_ok=True)
            except (BlockingIOError, OSError):
                continue  # a full queue means the worker has been woken already


class WakeUp(Protocol):
    def wait(self, seconds: float) -> None:
        """Return after ``seconds``, or sooner when a job may be waiting."""
        ...

    def close(self) -> None: ...


class LocalSocket:
    """Waits on a datagram socket that submissions on this machine poke."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.setblocking(False)

    def wait(self, seconds: float) -> None:
        ready, _, _ = select.select([self._socket], [], [], seconds)
        if ready:
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._socket.recv(64)
            except BlockingIOError:
                return

    def close(self) -> None:
        self._socket.close()
        self.path.unlink(missing_ok=True)


class Polling:
    """Waits the interval: the fallback when no socket can be bound."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def close(self) -> None:
        return


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


def wake_up_for(engine: Engine, data_dir: Path, stop: threading.Event) -> WakeUp:
    """The way to wait on this database: its notifications, or this machine's sockets."""
    if is_sqlite(engine):
        try:
            return LocalSocket(wake_folder(data_dir))
        except OSError as error:
            log.warning("sandbox wake-up socket unavailable, polling instead: %s", error)
            return Polling(stop)
    return PostgresListener(engine, stop)

"""A sandbox worker: a process that takes jobs from the queue and runs them, one at a time.

``accord serve`` starts one beside the web server; ``accord worker`` starts more, on this
machine or any other that sees the same database and blob store. Each worker claims the oldest
queued job, runs it (``runner``), and looks again at once; when the queue is empty it waits for
a signal or the poll interval (``signals``). Every so often it fails jobs whose worker died.
On SIGTERM or SIGINT it stops the running query, puts that job back in the queue, and exits;
a worker started by ``accord serve`` also exits when that process ends.
"""

from __future__ import annotations

import os
import socket
import threading

from accord.node import NodeContext
from accord.sandbox import queue
from accord.sandbox.runner import JobRunner
from accord.sandbox.settings import SandboxSettings, sandbox_settings_of
from accord.sandbox.signals import wake_up_for
from accord.sandbox.sql import reader

LOST_CHECK_EVERY = 50
"""Idle polls between two searches for jobs whose worker died."""


class Worker:
    def __init__(
        self,
        node: NodeContext,
        settings: SandboxSettings | None = None,
        *,
        name: str | None = None,
        stop: threading.Event | None = None,
        parent_pid: int | None = None,
    ) -> None:
        self.node = node
        self.parent_pid = parent_pid
        self.settings = settings or sandbox_settings_of(node)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stop = stop or threading.Event()
        self.runner = JobRunner(node, self.settings, self.name, self.stop)
        self.processed = 0

    def run_once(self) -> str | None:
        """Claim and run the next queued job; its id, or None when the queue was empty."""
        with self.node.session(readonly=True) as session:
            if not queue.has_queued(session):
                return None
        job_id = self.runner.run_next()
        if job_id is not None:
            self.processed += 1
        return job_id

    def close(self) -> None:
        """End the query process this worker keeps ready."""
        self.runner.close()

    def run_until_idle(self) -> int:
        """Run queued jobs until none is left (tests, ``accord worker --until-idle``)."""
        count = 0
        while not self.stop.is_set() and self.run_once() is not None:
            count += 1
        return count

    def serve(self) -> None:
        """Run jobs until stopped."""
        reader()  # parse DuckDB's grammar once, before the first job
        wake_up = wake_up_for(self.node.engine, self.node.settings.data_dir, self.stop)
        idle = 0
        try:
            while not self.stop.is_set():
                if self.run_once() is not None:
                    idle = 0
                    continue
                idle += 1
                if idle % LOST_CHECK_EVERY == 1:
                    self._fail_lost()
                if self.parent_pid is not None and os.getppid() != self.parent_pid:
                    self.stop.set()  # the process that started this worker has ended
                wake_up.wait(self.settings.poll_seconds)
        finally:
            wake_up.close()
            self.close()

    def _fail_lost(self) -> None:
        with self.node.session() as session:
            if queue.fail_lost(session, self.node.clock.now()):
                session.commit()

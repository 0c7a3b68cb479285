"""Running one query in its own process, with a time limit, a memory limit and progress.

Each query runs in a child process forked from the worker, so that whatever the query does
(exhaust memory, spin for ever, crash the engine), the worker survives and takes the next job.
The worker itself runs no multi-threaded code when it forks (its own DuckDB, for reading SQL,
has one thread; the threads that store a released output have ended), so forking it is safe;
a child leaves with ``os._exit`` and touches none of the worker's database connections. Each
child serves exactly one query; between jobs the worker forks the next one (``prepare``), which
opens its (empty) DuckDB while it waits, so that a job waits for neither a fork nor a database
start.

The worker watches the child: past the time limit, or above the memory limit (resident set
size), the child is killed and the job fails with a clear error. DuckDB's own memory limit stops
most queries before that, with its own error. A child ends with its worker however the worker
ends (on Linux the kernel kills it): a worker killed outright cannot end the child it keeps
ready, and that child would otherwise wait for a task for ever.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from accord.errors import AccordError
from accord.sandbox.engine import EngineLimits, lock_down, open_engine
from accord.sandbox.tables import TableSource

PROGRESS_SECONDS = 0.5
_WATCH_SECONDS = 0.05
_PR_SET_PDEATHSIG = 1


class Interrupted(Exception):
    """The worker was asked to stop while the query ran; the query was stopped."""


class QueryFailed(AccordError):
    """A query stopped without a result: refused by the engine, over a limit, or broken."""

    status = 422
    title = "Query failed"
    default_code = "sandbox.query-failed"


@dataclass(frozen=True)
class QueryTask:
    sql: str
    tables: tuple[TableSource, ...]
    temp_directory: str
    max_rows: int
    max_columns: int


@dataclass(frozen=True)
class ResultTable:
    """A query's answer: column names and types, and rows of JSON-ready values."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[tuple[Any, ...]]


Progress = Callable[[int], None]
"""Called about twice a second while a query runs: percent done, or -1 when unknown."""


@dataclass
class _Child:
    """A forked query process and the two ends of its pipes the worker holds."""

    process: Any
    tasks: Connection
    results: Connection

    def end(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.tasks.close()
        self.results.close()


class Executor:
    """Runs each query in a fresh child process (one ready in advance) and watches it."""

    def __init__(self, *, limits: EngineLimits, time_limit: float, memory_limit_bytes: int) -> None:
        self.limits = limits
        self.time_limit = time_limit
        self.memory_limit_bytes = memory_limit_bytes
        self._context = multiprocessing.get_context("fork")
        self._ready: _Child | None = None
        self._spent: list[_Child] = []

    def run(
        self,
        task: QueryTask,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> ResultTable:
        """The task's result, or ``QueryFailed`` (time, memory, refused by the engine, crash);
        ``Interrupted`` when ``stop`` is set before the query ends."""
        child, self._ready = self._ready or self._fork(), None
        try:
            child.tasks.send(task)
            return self._watch(child, progress, stop or threading.Event())
        finally:
            child.process.kill()  # reaped by prepare(), after the caller recorded the answer
            self._spent.append(child)

    def prepare(self) -> None:
        """Reap the children of past queries and fork the one for the next query (call this
        between jobs: the fork and the child's database start then cost the next job nothing)."""
        while self._spent:
            self._spent.pop().end()
        if self._ready is None:
            self._ready = self._fork()

    def close(self) -> None:
        """End every child: the past ones and the one kept ready."""
        while self._spent:
            self._spent.pop().end()
        if self._ready is not None:
            self._ready.end()
            self._ready = None

    def _fork(self) -> _Child:
        task_reader, task_writer = self._context.Pipe(duplex=False)
        result_reader, result_writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=serve, args=(task_reader, result_writer, self.limits, os.getpid()), daemon=True
        )
        process.start()
        task_reader.close()
        result_writer.close()
        return _Child(process, task_writer, result_reader)

    def _watch(
        self, child: _Child, progress: Progress | None, stop: threading.Event
    ) -> ResultTable:
        deadline = time.monotonic() + self.time_limit
        while True:
            if stop.is_set():
                raise Interrupted
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _time_limit(self.time_limit)
            if child.results.poll(min(_WATCH_SECONDS, remaining)):
                message = _receive(child)
                if message[0] == "progress":
                    if progress is not None:
                        progress(int(message[1]))
                    continue
                return _finish(message)
            if _private_bytes(child.process.pid) > self.memory_limit_bytes:
                raise _memory_limit(self.memory_limit_bytes)


def _receive(child: _Child) -> tuple[Any, ...]:
    try:
        message: tuple[Any, ...] = child.results.recv()
    except EOFError:
        child.process.join(timeout=5)
        raise _crashed(child.process.exitcode) from None
    return message


def _finish(message: tuple[Any, ...]) -> ResultTable:
    if message[0] == "done":
        return ResultTable(tuple(message[1]), tuple(message[2]), list(message[3]))
    raise QueryFailed(str(message[2]), code=str(message[1]), hint=_HINTS.get(str(message[1])))


def _private_bytes(pid: int | None) -> int:
    """The memory the query process holds of its own: private pages, not those it still shares
    with the worker it was forked from (resident size counts those too, so a large worker would
    look like a query over its limit before it read a row)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return sum(
                int(line.split()[1]) * 1024
                for line in handle
                if line.startswith(("Private_Clean:", "Private_Dirty:"))
            )
    except (OSError, ValueError, IndexError):
        return 0


def _time_limit(seconds: float) -> QueryFailed:
    return QueryFailed(
        f"the query was stopped after the time limit of {seconds:g} s",
        code="sandbox.time-limit",
        hint=_HINTS["sandbox.time-limit"],
    )


def _memory_limit(limit: int) -> QueryFailed:
    return QueryFailed(
        f"the query was stopped: it used more than {limit // 2**20} MiB of memory",
        code="sandbox.memory-limit",
        hint=_HINTS["sandbox.memory-limit"],
    )


def _crashed(exitcode: int | None) -> QueryFailed:
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"code {exitcode}"
    if exitcode == -9:
        return QueryFailed(
            "the query process was killed (out of memory)",
            code="sandbox.memory-limit",
            hint=_HINTS["sandbox.memory-limit"],
        )
    return QueryFailed(f"the query process stopped unexpectedly ({how})", code="sandbox.crashed")


_HINTS = {
    "sandbox.time-limit": "narrow the query (filters, fewer joins) or aggregate earlier",
    "sandbox.memory-limit": "aggregate earlier, join on keys, or select fewer columns",
    "sandbox.permission-denied": "query the granted tables by name; nothing else is readable",
    "sandbox.too-many-rows": "aggregate the result, or add LIMIT",
    "sandbox.query-error": "check the table and column names on the query page",
}


# --- in the child process ---------------------------------------------------------------------


def serve(tasks: Connection, results: Connection, limits: EngineLimits, worker_pid: int) -> None:
    """Child process body: open a database, wait for the task, run it, report progress and
    then the result or the error. The worker kills the process after the answer."""
    _end_with(worker_pid)
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            results.send(message)

    try:
        con = open_engine(limits)
    except duckdb.Error as error:
        con, failure = None, error
    try:
        task: QueryTask = tasks.recv()
    except EOFError:
        return  # the worker closed: no query will come
    if con is None:
        send(("error", "sandbox.engine-unavailable", f"the engine did not start: {failure}"))
        return
    try:
        lock_down(con, task.tables, task.temp_directory)
    except duckdb.Error as error:
        send(("error", "sandbox.tables-unreadable", f"the tables could not be opened: {error}"))
        return
    stop = threading.Event()
    watcher = threading.Thread(target=_report_progress, args=(con, send, stop), daemon=True)
    watcher.start()
    try:
        send(("done", *_fetch(con, task)))
    except duckdb.Error as error:
        send(("error", _code_of(error), _message_of(error)))
    except _Unreturnable as error:
        send(("error", error.code, str(error)))
    finally:
        stop.set()


def _end_with(worker_pid: int) -> None:
    """Have the kernel kill this process when the worker ends (Linux), and leave at once if it
    has ended already."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker_pid:
        os._exit(0)


class _Unreturnable(Exception):
    """The result is not one the sandbox returns (too many rows or columns, or none)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _fetch(con: Any, task: QueryTask) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    relation = con.sql(task.sql)
    if relation is None:
        raise _Unreturnable("sandbox.not-a-query", "the statement returned no result")
    columns = [str(c) for c in relation.columns]
    types = [str(t) for t in relation.types]
    if len(columns) > task.max_columns:
        message = f"the result has {len(columns)} columns; at most {task.max_columns}"
        raise _Unreturnable("sandbox.too-many-columns", message)
    rows: list[tuple[Any, ...]] = []
    reader = relation.to_arrow_reader(min(task.max_rows + 1, 100_000))
    for batch in reader:
        values = [_values(batch.column(i)) for i in range(len(columns))]
        rows.extend(zip(*values, strict=True))
        if len(rows) > task.max_rows:
            message = f"the result has more than {task.max_rows} rows"
            raise _Unreturnable("sandbox.too-many-rows", message)
    return columns, types, rows


def _values(column: pa.Array) -> list[Any]:
    """JSON-ready values of one column; zoned timestamps become UTC RFC 3339 text."""
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        utc = column.cast(pa.timestamp(kind.unit))
        return [None if v is None else v.isoformat() + "Z" for v in utc.to_pylist()]
    return [jsonable(v) for v in column.to_pylist()]


def _report_progress(con: Any, send: Callable[[tuple[Any, ...]], None], stop: Any) -> None:
    while not stop.wait(PROGRESS_SECONDS):
        try:
            value = float(con.query_progress())
        except Exception:  # the connection closes as the query ends
            return
        send(("progress", -1 if value < 0 else min(100, int(value))))


def _code_of(error: BaseException) -> str:
    name = type(error).__name__
    if name == "PermissionException":
        return "sandbox.permission-denied"
    if name == "OutOfMemoryException":
        return "sandbox.memory-limit"
    if name == "InterruptException":
        return "sandbox.time-limit"
    return "sandbox.query-error"


def _message_of(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:500]


def jsonable(value: Any) -> Any:
    """A query value as JSON can carry it (numbers stay numbers where JSON allows)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)

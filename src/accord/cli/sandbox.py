"""``accord sandbox submit|status|result|budget|tables|queue|review`` and ``accord worker``.

The sandbox commands talk to the API through ``state.client`` (usually a remote node with
``--url``/``--token``: a job runs under the researcher's own grant). ``accord worker`` is
different: it runs on the node itself, takes jobs from the queue and runs them; ``accord
serve`` starts ``ACCORD_WORKERS`` of them (default 1) beside the web server.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.catalog.pids import parse_version_ref
from accord.cli.state import CliState, state_of
from accord.config import Settings
from accord.errors import InvalidInput

sandbox = typer.Typer(help="Query data in the sandbox; outputs are checked", no_args_is_help=True)

FINISHED = {"released", "withheld", "failed"}
PR_SET_PDEATHSIG = 1
WORKER_STOP_SECONDS = 30

Version = Annotated[str, typer.Argument(help="Version id (dv_…), ds_…@vN, or a persistent id")]
Job = Annotated[str, typer.Argument(help="Job id (job_…)")]


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox, name="sandbox")
    app.command("worker")(worker)


# --- researchers ------------------------------------------------------------------------------


@sandbox.command("submit")
def submit(
    ctx: typer.Context,
    version: Version,
    sql: Annotated[str | None, typer.Option(help="One SELECT over the version's tables")] = None,
    sql_file: Annotated[Path | None, typer.Option(help="Read the SELECT from a file")] = None,
    dp: Annotated[
        str | None, typer.Option(help="DP measurement: count, sum, mean or histogram")
    ] = None,
    table: Annotated[str | None, typer.Option(help="Table of the DP measurement")] = None,
    column: Annotated[str | None, typer.Option(help="Column of the DP measurement")] = None,
    lower: Annotated[float | None, typer.Option(help="Declared lower bound (sum, mean)")] = None,
    upper: Annotated[float | None, typer.Option(help="Declared upper bound (sum, mean)")] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="Histogram category (repeatable)")
    ] = None,
    epsilon: Annotated[float | None, typer.Option(help="Epsilon this measurement spends")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the job until it ends")] = False,
) -> None:
    """Queue a job: SQL (--sql/--sql-file) or a DP measurement (--dp … --epsilon …)."""
    state = state_of(ctx)
    body: dict[str, Any] = {"version_id": _version_id(state, version)}
    if dp is not None:
        body["dp"] = _dp_body(dp, table, column, lower, upper, category, epsilon)
    else:
        body["sql"] = _sql_text(sql, sql_file)
    job = state.client.post("/api/v1/jobs", json=body)
    if wait:
        job = _follow(state, job)
        if job["state"] == "released" and not state.json:
            _print_result(state, state.client.get(f"/api/v1/jobs/{job['id']}/result"))
            return
    state.emit(job, _job_line(job))


@sandbox.command("status")
def status(
    ctx: typer.Context,
    job_id: Job,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the job until it ends")] = False,
) -> None:
    """Show a job's state (and progress while it runs)."""
    state = state_of(ctx)
    job = state.client.get(f"/api/v1/jobs/{job_id}")
    if wait:
        job = _follow(state, job)
    state.emit(job, _job_line(job))


@sandbox.command("result")
def result(
    ctx: typer.Context,
    job_id: Job,
    output: Annotated[
        Path | None, typer.Option(help="Save the released files into this folder")
    ] = None,
) -> None:
    """Print a released result with its suppression notes; --output saves its files."""
    state = state_of(ctx)
    found = state.client.get(f"/api/v1/jobs/{job_id}/result")
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        for file in found["outputs"]:
            response = state.client.http.get(file["url"])
            if response.status_code >= 400:
                state.client.request("GET", file["url"])  # raises the node's problem
            (output / file["name"]).write_bytes(response.content)
    if state.json:
        state.emit(found)
        return
    _print_result(state, found)
    if output is not None:
        state.console.print(f"Saved {len(found['outputs'])} files in {output}")


@sandbox.command("budget")
def budget(ctx: typer.Context, version: Version) -> None:
    """Your privacy budget (epsilon) on a version's dataset, across all your grants on it."""
    state = state_of(ctx)
    found = state.client.get("/api/v1/budgets", params={"version_id": _version_id(state, version)})
    state.emit(
        found,
        f"Dataset {found['dataset_id']} (all your grants; total set by grant "
        f"{found['grant_id']}): {found['remaining_epsilon']:g} of {found['total_epsilon']:g} "
        f"epsilon left ({found['spent_epsilon']:g} spent)",
    )


@sandbox.command("tables")
def tables(ctx: typer.Context, version: Version) -> None:
    """The version's tables and their columns (names and types, never values)."""
    state = state_of(ctx)
    found = state.client.get("/api/v1/tables", params={"version_id": _version_id(state, version)})
    if state.json:
        state.emit(found)
        return
    for item in found["tables"]:
        grid = Table("column", "type", title=f"{item['table']}  ({item['path']})")
        for column in item["columns"]:
            grid.add_row(column["name"], column["type"])
        state.console.print(grid)


# --- output checkers --------------------------------------------------------------------------


@sandbox.command("queue")
def review_queue(ctx: typer.Context, limit: int = 50) -> None:
    """Checked outputs waiting for an output checker."""
    state = state_of(ctx)
    page = state.client.get("/api/v1/reviews/jobs", params={"limit": limit})
    if state.json:
        state.emit(page)
        return
    grid = Table("job", "kind", "dataset", "checked")
    for job in page["items"]:
        grid.add_row(job["id"], job["kind"], job["dataset_id"], job["checked_at"] or "")
    state.console.print(grid)


@sandbox.command("review")
def review(
    ctx: typer.Context,
    job_id: Job,
    release: Annotated[bool, typer.Option("--release/--withhold", help="The decision")],
    reason: Annotated[str, typer.Option(help="Why (at least 10 characters)")],
) -> None:
    """Release or withhold a checked output."""
    state = state_of(ctx)
    body = {"decision": "release" if release else "withhold", "reason": reason}
    job = state.client.post(f"/api/v1/jobs/{job_id}/review", json=body)
    state.emit(job, _job_line(job))


# --- the worker -------------------------------------------------------------------------------


def worker(
    ctx: typer.Context,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop when the queue is empty")
    ] = False,
    parent: Annotated[
        int | None, typer.Option(hidden=True, help="Stop when this process (accord serve) ends")
    ] = None,
) -> None:
    """Run sandbox jobs from the queue on this node until stopped (SIGTERM, Ctrl-C)."""
    from accord.sandbox.worker import Worker
    from accord.stopping import stop_on_signals

    state = state_of(ctx)
    runner = Worker(state.node, parent_pid=parent)
    if until_idle:
        count = runner.run_until_idle()
        state.emit({"jobs": count}, f"Ran {count} jobs")
        return
    stop_on_signals(runner.stop.set)  # after putting a running job back
    state.err.print(f"Sandbox worker {runner.name} waiting for jobs", highlight=False)
    runner.serve()


@contextmanager
def worker_processes(settings: Settings, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` ``accord worker`` processes for the data dir; stop them on exit."""
    data_dir = str(settings.data_dir.resolve())
    env = {**os.environ, "ACCORD_DATA_DIR": data_dir}
    command = [sys.executable, "-m", "accord", "--data-dir", data_dir, "worker"]
    command += ["--parent", str(os.getpid())]
    started = [
        subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)  # noqa: S603
        for _ in range(count)
    ]
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _die_with_parent() -> None:
    """Linux: the kernel sends the worker SIGTERM when ``accord serve`` ends, however it ends
    (uvicorn re-raises SIGTERM, which skips ``finally``; a SIGKILL skips everything)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# --- helpers ----------------------------------------------------------------------------------


def _version_id(state: CliState, ref: str) -> str:
    text = ref.strip()
    if text.startswith("dv_"):
        return text
    try:
        parsed = parse_version_ref(text)
    except ValueError as error:
        raise InvalidInput(str(error), code="sandbox.bad-version-ref") from None
    number = parsed.number
    if number is None:
        number = state.client.get(f"/api/v1/datasets/{parsed.dataset_id}")["current_version"]
    path = f"/api/v1/datasets/{parsed.dataset_id}/versions/{number}"
    return str(state.client.get(path)["id"])


def _sql_text(sql: str | None, sql_file: Path | None) -> str:
    if (sql is None) == (sql_file is None):
        raise InvalidInput(
            "give the query with --sql or --sql-file (or a DP measurement with --dp)",
            code="sandbox.invalid-job",
        )
    return sql if sql is not None else Path(str(sql_file)).read_text()


def _dp_body(
    measure: str,
    table: str | None,
    column: str | None,
    lower: float | None,
    upper: float | None,
    categories: list[str] | None,
    epsilon: float | None,
) -> dict[str, Any]:
    if table is None or epsilon is None:
        raise InvalidInput(
            "a DP measurement needs --table and --epsilon", code="sandbox.invalid-job"
        )
    body: dict[str, Any] = {"measure": measure, "table": table, "epsilon": epsilon}
    if column is not None:
        body["column"] = column
    if lower is not None and upper is not None:
        body["bounds"] = [lower, upper]
    if categories:
        body["categories"] = categories
    return body


def _follow(state: CliState, job: dict[str, Any]) -> dict[str, Any]:
    columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=state.err, disable=state.json, transient=True) as bar:
        task = bar.add_task(f"{job['id']} {job['state']}", total=100)
        while job["state"] not in FINISHED and not (
            job["state"] == "checked" and job["review_required"]
        ):
            time.sleep(0.5)
            job = state.client.get(f"/api/v1/jobs/{job['id']}")
            bar.update(task, completed=job["progress"], description=f"{job['id']} {job['state']}")
    return job


def _job_line(job: dict[str, Any]) -> str:
    line = f"{job['id']}: {job['state']}"
    if job["state"] == "running":
        line += f" ({job['progress']}%)"
    if job["state"] == "checked" and job["review_required"]:
        line += " (waiting for an output checker)"
    if job.get("error"):
        line += f"\nerror[{job['error']['code']}]: {job['error']['message']}"
    return line


def _print_result(state: CliState, found: dict[str, Any]) -> None:
    hidden = {(n["row"], n["column"]) for n in found["notes"]}
    grid = Table(*found["columns"], title=f"Result of {found['job_id']}")
    for r, row in enumerate(found["rows"]):
        cells = [
            "[dim]suppressed[/]"
            if (r, None) in hidden or (r, c) in hidden
            else ("" if value is None else str(value))
            for c, value in enumerate(row)
        ]
        grid.add_row(*cells)
    state.console.print(grid)
    if found.get("dp"):
        dp = found["dp"]
        state.console.print(
            f"Differentially private: epsilon {dp['epsilon']:g}; plus_minus holds with "
            f"probability {dp['confidence']}"
        )
    for number, note in enumerate(found["notes"], start=1):
        where = f"row {note['row'] + 1}" + (
            f", column {found['columns'][note['column']]}" if note["column"] is not None else ""
        )
        state.console.print(f"{number}. {where}: {note['rule']}: {note['message']}", markup=False)

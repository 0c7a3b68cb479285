"""Sandbox jobs against plain DuckDB on a 10-million-row Parquet table, side by side in one run.

Builds a node (SQLite, local blob store) with one restricted dataset holding ``people.parquet``
(``--rows`` rows, default 10,000,000: id, region (50), sex (5), age, income), a researcher with a
sandbox grant through the access workflow (disclosure defaults plus a privacy budget), and one
``accord worker`` process. Then times, interleaved, ``--repeat`` times each:

- the grouped aggregate ``SELECT region, sex, count(*), avg(income), sum(income) … GROUP BY
  region, sex`` in plain DuckDB (same threads, the same file) and as a sandbox job, from
  submission to the released output: the queue, the worker's claim, the locked-down DuckDB in a
  child process, the disclosure checks, the signed release and the ledger entries included;
- a DP mean of ``income`` (declared bounds), which releases the noisy mean and the noisy count,
  as a sandbox job against ``SELECT count(*), avg(income)`` in plain DuckDB.

Prints the medians and the ratios. Goals: aggregate ≤ 1.5× plain, DP count and mean ≤ 2×.
Beside the wall-clock times it prints CPU time per run, which holds better on a busy machine:
for plain DuckDB the process's CPU time over the query (all DuckDB threads); for a job the
submitting process's CPU time over the submission plus the worker's own and its query
processes' CPU time over the whole timed loop (idle polling between jobs included) divided by
the number of jobs.

    .venv/bin/python bench/sandbox_vs_duckdb.py [--rows 10000000] [--repeat 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.access import requests as access_requests
from accord.access.schemas import RequestCreate
from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import parse_metadata
from accord.config import Settings
from accord.identity import schemas
from accord.identity import service as identity
from accord.identity.permissions import Role
from accord.identity.principal import Principal, local_operator
from accord.node import NodeContext
from accord.sandbox import service as sandbox
from accord.sandbox.grants import AccessGrants, SandboxGrant, use_grant_source
from accord.sandbox.models import Job
from accord.sandbox.policy import DisclosurePolicy
from accord.sandbox.privacy import DpQuery
from accord.setup import initialise
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_file

AGGREGATE = (
    "SELECT region, sex, count(*) AS n, avg(income) AS mean_income, sum(income) AS total "
    "FROM {table} GROUP BY region, sex"
)
FINISHED = {"released", "withheld", "failed", "checked"}


class BudgetGrants:
    """The access workflow's grants with a privacy budget (agreements carry none yet)."""

    def __init__(self) -> None:
        self._grants = AccessGrants()

    def active_sandbox_grant(
        self, session: Session, user_id: str, version_id: str, now: datetime
    ) -> SandboxGrant | None:
        found = self._grants.active_sandbox_grant(session, user_id, version_id, now)
        if found is None:
            return None
        policy = DisclosurePolicy(privacy_budget=100.0)
        return SandboxGrant(
            found.grant_id, found.user_id, found.dataset_id, found.version_id,
            found.expires_at, policy,
        )  # fmt: skip


def make_parquet(path: Path, rows: int) -> None:
    duckdb.connect().execute(
        f"""COPY (SELECT i AS id, 'r' || ((i * 7919) % 50) AS region, (i * 31) % 5 AS sex,
                  18 + (i * 13) % 70 AS age,
                  round(20000 + ((i * 104729) % 100000)::DOUBLE, 2) AS income
           FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"""
    )


def build_node(folder: Path, parquet: Path) -> tuple[NodeContext, Principal, str]:
    settings = Settings(data_dir=folder / "node")
    node = initialise(
        settings, node_id="bench", name="Bench", jurisdiction="CH", admin_email="a@b.example"
    ).node
    operator = local_operator()
    with node.session() as s:
        org = identity.create_organisation(
            s, operator, schemas.OrganisationCreate(name="Bench institute", country="CH")
        )
        user, _ = identity.create_user(
            s,
            operator,
            schemas.UserCreate(
                name="Bench researcher", email="researcher@bench.example", country="CH",
                organisation_id=org.id, roles=[Role.RESEARCHER], password="bench-password-long",
            ),
        )  # fmt: skip
        blob = ingest_file(blob_store_of(node), parquet)
        metadata = parse_metadata(_metadata(org.id))
        version = catalog.create_dataset(s, operator, metadata)
        catalog.add_file(s, operator, version.dataset_id, 1, path="people.parquet", blob=blob)
        catalog.publish(s, operator, version.dataset_id, 1)
        agreement = agreements.create_agreement(s, operator, _AGREEMENT)
        agreements.publish(s, operator, agreement.agreement_id, 1)
        agreements.attach(s, operator, agreement.agreement_id, 1, version.id)
        researcher = identity.principal_for(user, via="local")
        access_requests.submit(
            s,
            researcher,
            RequestCreate(
                dataset_id=version.dataset_id, purpose=["HMB"], project_title="Benchmark",
                lay_summary="Timing analyses in the sandbox against plain DuckDB.",
                institution="Bench institute", mode="sandbox", duration="P6M",
                accept_duties=True,
            ),
        )  # fmt: skip
        s.commit()
        return node, researcher, version.id


def _metadata(organisation_id: str) -> dict[str, Any]:
    return {
        "titles": [{"title": "Ten million synthetic people"}],
        "creators": [{"name": "Bench, Accord"}],
        "publisher": {"name": "Bench institute"},
        "descriptions": [{"description": "Synthetic rows for the sandbox benchmark."}],
        "rights_list": [{"rights_identifier": "CC0-1.0"}],
        "tier": "restricted",
        "organisation_id": organisation_id,
    }


_AGREEMENT = {
    "title": "Bench restricted data",
    "tier": "restricted",
    "licence": "LicenseRef-accord-data-use-agreement",
    "duo": {"permission": "HMB"},
    "max_grant_duration": "P1Y",
    "committee": {"name": "Bench DAC", "review": "exceptions"},
}


def start_worker(node: NodeContext, threads: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ACCORD_SANDBOX_THREADS": str(threads)}
    command = [sys.executable, "-m", "accord", "--data-dir", str(node.settings.data_dir)]
    return subprocess.Popen([*command, "worker"], env=env, stderr=subprocess.DEVNULL)


SUBMIT_CPU: list[float] = []
"""CPU seconds of each submission in this process (read by ``report``)."""


def run_job(node: NodeContext, researcher: Principal, version_id: str, **job: Any) -> float:
    """Seconds from submission to the released output (or another end)."""
    start = time.perf_counter()
    cpu = time.process_time()
    with node.session() as s:
        job_id = sandbox.submit(s, researcher, version_id, **job).id
        s.commit()
    SUBMIT_CPU.append(time.process_time() - cpu)
    with node.session(readonly=True) as s:
        while True:
            state, error = s.execute(
                select(Job.state, Job.error_message).where(Job.id == job_id)
            ).one()
            if state in FINISHED:
                if state != "released":
                    raise SystemExit(f"{job_id} ended {state}: {error}")
                return time.perf_counter() - start
            s.rollback()  # the next read sees the worker's newest commit
            time.sleep(0.005)


PLAIN_CPU: list[float] = []
"""CPU seconds of each plain DuckDB query in this process (read by ``report``)."""


def plain(parquet: Path, threads: int, sql: str) -> Callable[[], float]:
    def run() -> float:
        con = duckdb.connect(config={"threads": threads})
        start = time.perf_counter()
        cpu = time.process_time()
        con.execute(sql.format(table=f"read_parquet('{parquet}')")).fetchall()
        elapsed = time.perf_counter() - start
        PLAIN_CPU.append(time.process_time() - cpu)
        con.close()
        return elapsed

    return run


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it has reaped (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-sandbox-bench-") as tmp:
        folder = Path(tmp)
        parquet = folder / "people.parquet"
        print(f"writing {args.rows:,} rows to Parquet…", flush=True)
        make_parquet(parquet, args.rows)
        node, researcher, version_id = build_node(folder, parquet)
        use_grant_source(node, BudgetGrants())
        worker = start_worker(node, args.threads)
        try:
            report(node, researcher, version_id, parquet, args, worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=60)


def report(
    node: NodeContext,
    researcher: Principal,
    version_id: str,
    parquet: Path,
    args: Any,
    worker_pid: int,
) -> None:
    mean = {"measure": "mean", "table": "people", "column": "income", "bounds": [0, 200_000]}
    cases: list[tuple[str, Callable[[], float], Callable[[], float], float]] = [
        (
            "grouped aggregate",
            plain(parquet, args.threads, AGGREGATE),
            lambda: run_job(node, researcher, version_id, sql=AGGREGATE.format(table="people")),
            1.5,
        ),
        (
            "DP count and mean",
            plain(parquet, args.threads, "SELECT count(*), avg(income) FROM {table}"),
            lambda: run_job(node, researcher, version_id, dp=_dp(**mean, epsilon=0.1)),
            2.0,
        ),
    ]
    print(f"{args.rows:,} rows, {args.threads} threads, median of {args.repeat} (warm cache)")
    print(
        f"{'case':<20}{'plain DuckDB':>14}{'sandbox job':>14}{'ratio':>9}{'goal':>7}"
        f"{'CPU plain':>14}{'CPU job':>12}{'CPU ratio':>11}"
    )
    for name, baseline, job, goal in cases:
        baseline()
        job()  # warm the page cache and both paths once
        time.sleep(0.5)  # the worker reaps the warm-up's query process
        plain_times: list[float] = []
        job_times: list[float] = []
        PLAIN_CPU.clear()
        SUBMIT_CPU.clear()
        worker_before = cpu_seconds(worker_pid)
        for _ in range(args.repeat):
            plain_times.append(baseline())
            job_times.append(job())
        time.sleep(0.5)
        worker_cpu = (cpu_seconds(worker_pid) - worker_before) / args.repeat
        a, b = statistics.median(plain_times), statistics.median(job_times)
        cpu_a = statistics.median(PLAIN_CPU)
        cpu_b = statistics.median(SUBMIT_CPU) + worker_cpu
        verdict = "ok" if b / a <= goal else "MISSED"
        print(
            f"{name:<20}{a * 1000:>12.0f}ms{b * 1000:>12.0f}ms{b / a:>8.2f}×{goal:>6}× {verdict:<6}"
            f"{cpu_a * 1000:>8.0f}ms{cpu_b * 1000:>10.0f}ms{cpu_b / cpu_a:>10.2f}×"
        )


def _dp(**spec: Any) -> DpQuery:
    return DpQuery.model_validate({"table": "people", **spec})


if __name__ == "__main__":
    main()

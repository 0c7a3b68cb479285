"""Throughput of the mixed load with 2 API processes against 1, side by side in one run.

Both deployments are the production layout of docs/production (nginx over TLS in front of the
API processes, 2 sandbox workers, PostgreSQL, moto's S3 server), each on a fresh demo node; the
same mixed load (search, download, access requests, sandbox jobs, log appends) runs for
``--seconds`` against each, over ``--threads`` connections. Prints both figures (answers per
second, 5xx and transport errors), the CPU time each part of the layout spent per answer, the
load average, and the ratio (goal ≥ 1.6); exits 1 if it is missed.

Every process (load client, nginx, API, workers, PostgreSQL, moto) shares this machine's cores,
so the ratio is bounded by them: the output says how many there are. The load client is wrk
(C, ``bench/mixed_load.lua``) when it is installed, so that it takes next to no CPU from the
node; ``--client threads`` uses the Python client of the scale-out test instead.

    ACCORD_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/scale_out.py [--seconds 60] [--threads 8] [--client wrk]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import httpx
import psutil  # type: ignore[import-untyped]
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.config import Settings
from tests.live import free_port
from tests.ops.mixed_load import Plan, Tally, make_plan, run
from tests.ops.production import NGINX, Deployment
from tests.storage.conftest import AWS_ENV

GOAL = 1.6
LUA = Path(__file__).with_name("mixed_load.lua")
PARTS = ("api", "worker", "nginx", "client", "postgres", "s3")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--client", choices=("wrk", "threads"), default=None)
    args = parser.parse_args()
    args.client = args.client or ("wrk" if shutil.which("wrk") else "threads")
    base = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not base:
        raise SystemExit("set ACCORD_TEST_DATABASE_URL to a PostgreSQL server")
    if not NGINX.exists():
        raise SystemExit("nginx is missing: apt-get install -y nginx")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores shared by clients, nginx, API, workers, PostgreSQL and S3")
    print(f"load client: {args.client}; load average at start: {_load()}")
    results: dict[int, tuple[float, Tally, dict[str, float]]] = {}
    with moto() as endpoint, tempfile.TemporaryDirectory(prefix="accord-scale-") as work:
        bucket = f"accord-bench-{uuid.uuid4().hex[:8]}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_creds())
        s3.create_bucket(Bucket=bucket)
        for processes in (1, 2):
            results[processes] = measure(
                Path(work) / f"p{processes}", base, endpoint, bucket, processes, args
            )
    for processes, (rate, tally, cpu) in results.items():
        errors = sum(tally.server_errors().values()) + len(tally.failures)
        print(
            f"{processes} API process(es): {rate:8.1f} answers/s over {args.seconds:.0f} s "
            f"({tally.total} answers, {errors} 5xx or transport errors) {tally.by_kind()}"
        )
        per_answer = {part: 1000 * cpu[part] / max(tally.total, 1) for part in PARTS}
        print(
            "    CPU ms per answer: "
            + ", ".join(f"{part} {ms:.1f}" for part, ms in per_answer.items())
            + f" (total {sum(per_answer.values()):.1f})"
        )
    print(f"load average at the end: {_load()}")
    ratio = results[2][0] / results[1][0]
    verdict = "met" if ratio >= GOAL else "MISSED"
    print(f"ratio 2 processes / 1 process: {ratio:.2f} (goal ≥ {GOAL}: {verdict}; {cores} cores)")
    return 0 if ratio >= GOAL else 1


def measure(
    work: Path, base: str, endpoint: str, bucket: str, processes: int, args: argparse.Namespace
) -> tuple[float, Tally, dict[str, float]]:
    url = _database(base)
    layout = Deployment(
        work=work,
        database_url=url,
        storage_url=f"s3://{bucket}/p{processes}/blobs?endpoint={endpoint}",
        aws=AWS_ENV,
        api_processes=processes,
        extra_env={"ACCORD_API_REQUESTS_PER_MINUTE": "1000000", "ACCORD_ACCESS_LOG": "false"},
    )
    work.mkdir(parents=True)
    try:
        layout.prepare()
        layout.start()
        settings = Settings(data_dir=Path(layout.values["DATA_DIR"]), database_url=url)
        with layout.client() as http:
            plan = make_plan(http, settings)
        load = run_wrk if args.client == "wrk" else run_threads
        load(layout, plan, 5.0, args.threads)  # warm-up
        before = cpu_seconds(layout)
        tally, elapsed, client_cpu = load(layout, plan, args.seconds, args.threads)
        after = cpu_seconds(layout)
        cpu = {part: after[part] - before[part] for part in PARTS}
        cpu["client"] = client_cpu
        return tally.total / elapsed, tally, cpu
    finally:
        layout.stop()
        _drop(base, url)


def run_threads(
    layout: Deployment, plan: Plan, seconds: float, threads: int
) -> tuple[Tally, float, float]:
    """The Python client threads of the scale-out test, in this process."""
    started, cpu = time.monotonic(), time.process_time()
    tally = run(layout.client, plan, seconds, threads)
    return tally, time.monotonic() - started, time.process_time() - cpu


def run_wrk(
    layout: Deployment, plan: Plan, seconds: float, connections: int
) -> tuple[Tally, float, float]:
    """wrk with ``bench/mixed_load.lua``: one thread and connection per simulated client."""
    command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds:.0f}s"]
    command += ["--timeout", "60s", "-s", str(LUA), layout.url]
    child = psutil.Popen(
        command, env={**os.environ, **_plan_env(plan)}, stdout=subprocess.PIPE, text=True
    )
    cpu = 0.0
    while child.poll() is None:
        try:
            times = child.cpu_times()
            cpu = times.user + times.system
        except psutil.Error:
            pass
        time.sleep(0.5)
    out = child.stdout.read() if child.stdout else ""
    return _tally(out), _wrk_seconds(out, seconds), cpu


def _plan_env(plan: Plan) -> dict[str, str]:
    request = {
        "dataset_id": plan.controlled_dataset,
        "purpose": ["HMB"],
        "project_title": "Load study {n}",
        "lay_summary": "A study submitted by the scale-out load to exercise the workflow.",
        "institution": "Instituto Nacional de Saúde Coletiva",
        "mode": "download",
        "duration": "P6M",
        "accept_duties": True,
    }
    return {
        "ACCORD_LOAD_RESEARCHER": plan.researcher["Authorization"].removeprefix("Bearer "),
        "ACCORD_LOAD_STEWARD": plan.steward["Authorization"].removeprefix("Bearer "),
        "ACCORD_LOAD_DOWNLOADS": " ".join(plan.downloads),
        "ACCORD_LOAD_REQUEST_BODY": json.dumps(request),
        "ACCORD_LOAD_JOB_BODY": json.dumps({"version_id": plan.job_version, "sql": plan.job_sql}),
    }


def _tally(out: str) -> Tally:
    tally = Tally()
    for kind, status, count in re.findall(r"^COUNT (\w+) (\d+) (\d+)$", out, re.M):
        tally.statuses[(kind, int(status))] += int(count)
    errors = re.search(r"^ERRORS (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if errors is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    for name, count in zip(("connect", "read", "write", "timeout"), errors.groups(), strict=True):
        tally.failures.extend([f"wrk: {name} error"] * int(count))
    return tally


def _wrk_seconds(out: str, asked: float) -> float:
    found = re.search(r"requests in ([\d.]+)(m?s)", out)
    if found is None:
        return asked
    return float(found.group(1)) / (1000 if found.group(2) == "ms" else 1)


def cpu_seconds(layout: Deployment) -> dict[str, float]:
    """CPU seconds used so far by each part of the layout (children included: nginx's
    workers, sandbox processes), by the PostgreSQL backends serving its database and by the
    S3 server."""
    database = make_url(layout.database_url).database or ""
    totals = dict.fromkeys(PARTS, 0.0)
    for process in layout.processes:
        argv = " ".join(str(a) for a in process.args)  # type: ignore[union-attr]
        part = "nginx" if "nginx" in argv else "worker" if " worker" in argv else "api"
        totals[part] += _tree_cpu(process.pid)
    for process in psutil.process_iter(["name", "cmdline"]):
        name = process.info["name"] or ""
        cmdline = " ".join(process.info["cmdline"] or [])
        if name.startswith("postgres") and f" {database} " in f"{cmdline} ":
            totals["postgres"] += _cpu(process)
        elif "moto.server" in cmdline:
            totals["s3"] += _cpu(process)
    return totals


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        return _cpu(root) + sum(_cpu(child) for child in root.children(recursive=True))
    except psutil.Error:
        return 0.0


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system + times.children_user + times.children_system)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextmanager
def moto() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **AWS_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _creds() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def _database(base: str) -> str:
    name = f"accord_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop(base: str, url: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    sys.exit(main())

"""Throughput of the mixed load with 2 API processes against 1, side by side in one run.

Both deployments are the production layout of docs/production (nginx over TLS in front of the
API processes, 2 sandbox workers, PostgreSQL, moto's S3 server), each on a fresh demo node; the
same mixed load (search, download, access requests, sandbox jobs, log appends) runs for
``--seconds`` against each, from ``--threads`` client threads. Prints both figures (answers per
second, 5xx and transport errors) and the ratio (goal ≥ 1.6); exits 1 if it is missed.

Every process (clients, nginx, API, workers, PostgreSQL, moto) shares this machine's cores, so
the ratio is bounded by them: the output says how many there are.

    ACCORD_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/scale_out.py [--seconds 60] [--threads 8]
"""

from __future__ import annotations

import argparse
import os
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
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.config import Settings
from tests.live import free_port
from tests.ops.mixed_load import Tally, make_plan, run
from tests.ops.production import NGINX, Deployment
from tests.storage.conftest import AWS_ENV

GOAL = 1.6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    base = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if not base:
        raise SystemExit("set ACCORD_TEST_DATABASE_URL to a PostgreSQL server")
    if not NGINX.exists():
        raise SystemExit("nginx is missing: apt-get install -y nginx")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores shared by clients, nginx, API, workers, PostgreSQL and S3")
    results: dict[int, tuple[float, Tally]] = {}
    with moto() as endpoint, tempfile.TemporaryDirectory(prefix="accord-scale-") as work:
        bucket = f"accord-bench-{uuid.uuid4().hex[:8]}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_creds())
        s3.create_bucket(Bucket=bucket)
        for processes in (1, 2):
            results[processes] = measure(
                Path(work) / f"p{processes}", base, endpoint, bucket, processes, args
            )
    for processes, (rate, tally) in results.items():
        errors = sum(tally.server_errors().values()) + len(tally.failures)
        print(
            f"{processes} API process(es): {rate:8.1f} answers/s over {args.seconds:.0f} s "
            f"({tally.total} answers, {errors} 5xx or transport errors) {tally.by_kind()}"
        )
    ratio = results[2][0] / results[1][0]
    verdict = "met" if ratio >= GOAL else "MISSED"
    print(f"ratio 2 processes / 1 process: {ratio:.2f} (goal ≥ {GOAL}: {verdict}; {cores} cores)")
    return 0 if ratio >= GOAL else 1


def measure(
    work: Path, base: str, endpoint: str, bucket: str, processes: int, args: argparse.Namespace
) -> tuple[float, Tally]:
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
        run(layout.client, plan, 5.0, args.threads)  # warm-up
        started = time.monotonic()
        tally = run(layout.client, plan, args.seconds, args.threads)
        elapsed = time.monotonic() - started
        return tally.total / elapsed, tally
    finally:
        layout.stop()
        _drop(base, url)


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

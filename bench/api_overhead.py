"""Requests/s of an authenticated ``GET /api/v1/me`` against a bare Starlette endpoint.

Both are served the same way (one uvicorn process each, same options) and loaded with the same
real HTTP load client (``wrk``, Debian's package) in one run; prints both figures and the ratio
(goal ≥ 0.5).

    .venv/bin/python bench/api_overhead.py [--seconds 10] [--connections 16] [--rounds 3]

The rounds alternate the endpoints so that load from other work on the machine falls on both;
each round's ratio is printed, then the median and the spread. The per-holder rate limit is
lifted (it still runs on every call) so that the load is not refused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live import free_port, make_live_node

UVICORN_OPTS = ["--log-level", "warning", "--no-access-log", "--no-server-header"]


def wrk(url: str, seconds: int, connections: int, token: str | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url} answered {non2xx.group(1)} errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"could not read wrk output:\n{out}")
    return float(match.group(1))


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    node = make_live_node(work / "node", extra_env={"ACCORD_API_REQUESTS_PER_MINUTE": "1000000000"})
    node.init()
    token = json.loads(
        node.cli("--json", "token", "create", "--name", "bench", "--user", node.admin_email).stdout
    )["token"]
    node.start("--no-access-log")

    bare_port = free_port()
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(bare_port),
            *UVICORN_OPTS,
        ],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ},
    )
    try:
        wait_ready(f"http://127.0.0.1:{bare_port}/api/v1/me")
        me_url = f"{node.url}/api/v1/me"
        assert httpx.get(me_url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        wrk(me_url, 2, args.connections, token)  # warm up both
        bare_url = f"http://127.0.0.1:{bare_port}/api/v1/me"
        wrk(bare_url, 2, args.connections)
        rounds = []
        for _ in range(args.rounds):
            accord_rps = wrk(me_url, args.seconds, args.connections, token)
            floor_rps = wrk(f"{node.url}/healthz", args.seconds, args.connections)
            bare_rps = wrk(bare_url, args.seconds, args.connections)
            rounds.append((accord_rps, floor_rps, bare_rps))
            print(
                f"round: /api/v1/me {accord_rps:8.0f}  /healthz {floor_rps:8.0f}  "
                f"bare {bare_rps:8.0f} req/s  ratio {accord_rps / bare_rps:.2f}",
                flush=True,
            )
    finally:
        bare.terminate()
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    me = statistics.median(r[0] for r in rounds)
    floor = statistics.median(r[1] for r in rounds)
    bare_median = statistics.median(r[2] for r in rounds)
    ratios = [r[0] / r[2] for r in rounds]
    print(f"accord GET /api/v1/me (token auth, SQLite): {me:10.0f} req/s (median)")
    print(f"accord GET /healthz (no auth, no database): {floor:10.0f} req/s (median)")
    print(f"bare Starlette endpoint:                    {bare_median:10.0f} req/s (median)")
    print(
        f"ratio: {statistics.median(ratios):.2f} (goal >= 0.5; "
        f"rounds {min(ratios):.2f}-{max(ratios):.2f})"
    )


if __name__ == "__main__":
    main()

"""Requests/s of an authenticated ``GET /api/v1/me`` against a bare Starlette endpoint.

Both are served the same way (one uvicorn process each, same options) and loaded with the same
real HTTP load client (``wrk``, Debian's package) in one run; prints both figures and the ratio
(goal ≥ 0.5).

    .venv/bin/python bench/api_overhead.py [--seconds 10] [--connections 16]
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
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    node = make_live_node(work / "node")
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
        wrk(f"http://127.0.0.1:{bare_port}/api/v1/me", 2, args.connections)
        accord_rps = wrk(me_url, args.seconds, args.connections, token)
        floor_rps = wrk(f"{node.url}/healthz", args.seconds, args.connections)
        bare_rps = wrk(f"http://127.0.0.1:{bare_port}/api/v1/me", args.seconds, args.connections)
    finally:
        bare.terminate()
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"accord GET /api/v1/me (token auth, SQLite): {accord_rps:10.0f} req/s")
    print(f"accord GET /healthz (no auth, no database): {floor_rps:10.0f} req/s")
    print(f"bare Starlette endpoint:                    {bare_rps:10.0f} req/s")
    print(f"ratio: {accord_rps / bare_rps:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()

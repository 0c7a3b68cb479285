"""Requests/s of an authenticated ``GET /api/v1/me`` against a bare Starlette endpoint.

Both are served the same way (one uvicorn process each, with the options of ``accord serve``:
``accord.cli.node.server_options``) and loaded with the same real HTTP load client (``wrk``,
Debian's package) in one run; prints both figures and the ratio (goal ≥ 0.5).

    .venv/bin/python bench/api_overhead.py [--seconds 10] [--connections 16] [--rounds 3]

The rounds alternate the endpoints so that load from other work on the machine falls on both;
each round's ratio is printed, then the median and the spread. Each server's CPU time per request
(user + system, from /proc) is printed too: unlike requests/s it hardly moves when other work
shares the machine, and the ratio of CPU times is what the throughput ratio tends to on an idle
one. The per-holder rate limit is lifted (it still runs on every call) so that the load is not
refused.
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
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live import free_port, make_live_node


@dataclass(frozen=True)
class Run:
    """One wrk run against one server: its throughput and the server's CPU per request."""

    rps: float
    cpu_us: float


def wrk(url: str, seconds: int, connections: int, pid: int, token: str | None = None) -> Run:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    cpu = server_cpu(pid)
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    cpu = server_cpu(pid) - cpu
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"{url} answered {non2xx.group(1)} errors:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not rps or not total:
        raise SystemExit(f"could not read wrk output:\n{out}")
    return Run(float(rps.group(1)), cpu / int(total.group(1)) * 1e6)


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used, from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
        [sys.executable, "-m", "bench.bare_app", "--port", str(bare_port), "--no-access-log"],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ},
    )
    try:
        wait_ready(f"http://127.0.0.1:{bare_port}/api/v1/me")
        assert node.process is not None
        node_pid = node.process.pid
        me_url = f"{node.url}/api/v1/me"
        assert httpx.get(me_url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        bare_url = f"http://127.0.0.1:{bare_port}/api/v1/me"
        wrk(me_url, 2, args.connections, node_pid, token)  # warm up both
        wrk(bare_url, 2, args.connections, bare.pid)
        print(f"load average before: {load()}", flush=True)
        rounds = []
        for _ in range(args.rounds):
            me = wrk(me_url, args.seconds, args.connections, node_pid, token)
            floor = wrk(f"{node.url}/healthz", args.seconds, args.connections, node_pid)
            base = wrk(bare_url, args.seconds, args.connections, bare.pid)
            rounds.append((me, floor, base))
            print(
                f"round: /api/v1/me {me.rps:6.0f} req/s {me.cpu_us:4.0f} µs CPU  "
                f"/healthz {floor.rps:6.0f} req/s {floor.cpu_us:4.0f} µs  "
                f"bare {base.rps:6.0f} req/s {base.cpu_us:4.0f} µs  "
                f"ratio {me.rps / base.rps:.2f}  (load {load()})",
                flush=True,
            )
    finally:
        bare.terminate()
        bare.wait()
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(rounds)


def report(rounds: list[tuple[Run, Run, Run]]) -> None:
    names = (
        "accord GET /api/v1/me (token auth, SQLite)",
        "accord GET /healthz (no auth, no database)",
        "bare Starlette endpoint",
    )
    for i, name in enumerate(names):
        rps = statistics.median(r[i].rps for r in rounds)
        cpu = statistics.median(r[i].cpu_us for r in rounds)
        print(f"{name + ':':44} {rps:8.0f} req/s  {cpu:5.0f} µs CPU a request (medians)")
    ratios = [r[0].rps / r[2].rps for r in rounds]
    cpu_ratios = [r[2].cpu_us / r[0].cpu_us for r in rounds]
    print(
        f"ratio: {statistics.median(ratios):.2f} (goal >= 0.5; "
        f"rounds {min(ratios):.2f}-{max(ratios):.2f}); "
        f"CPU ratio bare/me {statistics.median(cpu_ratios):.2f} "
        f"(rounds {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}); load average {load()}"
    )


if __name__ == "__main__":
    main()

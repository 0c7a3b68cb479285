"""The access workflow under load, on a real node (``accord serve``, SQLite), in one run:

1. N access requests (default 10,000) submitted through the API by many researchers, each
   evaluated by the agreements engine and referred to the committee, then decided through the
   API by a committee member (approve or deny). Prints submit latency p50/p95/p99 (goal: p95
   < 100 ms) and the decide latencies.
   The serving process's CPU time per call is printed too: on a shared machine the latency
   includes waiting for a CPU, which the CPU time does not.
2. The grant check's cost on a download: the same file (same blob) fetched as controlled data
   under a grant and as open data with the same token, interleaved request by request in
   blocks; prints both medians, the median of the blocks' ratios (goal: controlled ≤ 1.05 ×
   open) and the server's CPU time per download of each kind.

    .venv/bin/python bench/access_workflow.py [--requests 10000] [--clients 1]
        [--downloads 1000] [--file-kib 1024]

Latency is measured with one client by default: SQLite takes one writer at a time, so more
clients add queueing for the write lock to every figure rather than measure the node's work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.agreements import service as agreements
from accord.catalog import service as catalog
from accord.catalog.metadata import DatasetMetadata
from accord.config import Settings
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.node import NodeContext, read_identity
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.catalog.conftest import metadata_document
from tests.live import LiveNode, make_live_node

AGREEMENT = {
    "title": "Controlled cohort data",
    "tier": "controlled",
    "licence": "CC-BY-4.0",
    "duo": {"permission": "HMB"},
    "max_grant_duration": "P2Y",
    "duties": [{"kind": "cite"}, {"kind": "delete-after-use", "within_days": 30}],
    "committee": {"name": "Cohort DAC", "decision_deadline": "P30D"},
}
RESEARCHERS = 200


@dataclass
class Setup:
    node: LiveNode
    controlled_dataset: str
    controlled_url: str
    open_url: str
    researchers: list[str]
    member: str
    downloader: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument(
        "--clients", type=int, default=1, help="concurrent API clients (SQLite has one writer)"
    )
    parser.add_argument("--downloads", type=int, default=1000, help="downloads of each kind")
    parser.add_argument("--file-kib", type=int, default=1024)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-bench-access-"))
    # One committee member decides every request: far above the per-holder API rate limit,
    # which this benchmark is not about.
    node = make_live_node(work / "node", extra_env={"ACCORD_API_REQUESTS_PER_MINUTE": "10000000"})
    node.init("--node-id", "bench-access", "--jurisdiction", "KE")
    setup = prepare(node, os.urandom(args.file_kib * 1024))
    node.start("--no-access-log")
    try:
        requests_phase(setup, args.requests, args.clients)
        downloads_phase(setup, args.downloads)
    finally:
        node.stop()


def prepare(node: LiveNode, data: bytes) -> Setup:
    """People, an open and a controlled dataset holding the same file, and one grant."""
    found = read_identity(node.data_dir)
    assert found is not None
    context = NodeContext(Settings(data_dir=node.data_dir), found)
    operator = local_operator()
    with context.session() as s:
        org = identity.create_organisation(
            s, operator, identity_schemas.OrganisationCreate(name="Cohort Centre", country="KE")
        ).id
        researchers = [_person(s, f"r{i}@bench.example", org=None) for i in range(RESEARCHERS)]
        member = _person(s, "dac@bench.example", org=org, role=Role.COMMITTEE)
        blob = ingest_chunks(blob_store_of(context), [data])
        controlled, controlled_url = _dataset(s, org, "controlled", blob)
        _, open_url = _dataset(s, org, "open", blob)
        version = agreements.create_agreement(s, operator, AGREEMENT)
        agreements.publish(s, operator, version.agreement_id, 1)
        current = catalog.get_version(s, controlled, 1, operator)
        agreements.attach(s, operator, version.agreement_id, 1, current.id)
        s.commit()
    context.engine.dispose()
    return Setup(node, controlled, controlled_url, open_url, researchers, member, researchers[0])


def _person(s: Any, email: str, *, org: str | None, role: Role = Role.RESEARCHER) -> str:
    user, _ = identity.create_user(
        s,
        local_operator(),
        identity_schemas.UserCreate(
            name=email.split("@")[0], email=email, country="KE", organisation_id=org,
            roles=[role], password="bench-password-long",
        ),
    )  # fmt: skip
    secret, _ = identity.create_token(
        s, local_operator(), user.id, identity_schemas.TokenCreate(name="bench")
    )
    return secret


def _dataset(s: Any, org: str, tier: str, blob: Any) -> tuple[str, str]:
    operator = local_operator()
    document = metadata_document(org, tier=tier, titles=[{"title": f"Cohort ({tier})"}])
    version = catalog.create_dataset(s, operator, DatasetMetadata.model_validate(document))
    file = catalog.add_file(s, operator, version.dataset_id, 1, path="cohort.bin", blob=blob)
    catalog.publish(s, operator, version.dataset_id, 1)
    return (
        version.dataset_id,
        f"/api/v1/datasets/{version.dataset_id}/versions/1/files/{file.id}/content",
    )


# --- 1. requests submitted and decided ----------------------------------------------------------


def requests_phase(setup: Setup, count: int, clients: int) -> None:
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=setup.node.url, timeout=60)
        found: httpx.Client = local.client
        return found

    def submit(i: int) -> tuple[float, str]:
        token = setup.researchers[i % len(setup.researchers)]
        body = {
            "dataset_id": setup.controlled_dataset,
            "purpose": ["HMB"],
            "project_title": f"Cohort study {i}",
            "lay_summary": "How blood pressure changes with age in this cohort.",
            "institution": "Bench University",
            "duration": "P1Y",
            "accept_duties": True,
        }
        return _timed(lambda: client().post("/api/v1/requests", json=body, headers=_auth(token)))

    def decide(request_id: str, i: int) -> tuple[float, str]:
        body = {
            "outcome": "deny" if i % 4 == 3 else "approve",
            "reasons": "Decided in the benchmark: the purpose fits the consent.",
        }
        path = f"/api/v1/requests/{request_id}/decision"
        return _timed(lambda: client().post(path, json=body, headers=_auth(setup.member)))

    started, cpu = time.perf_counter(), _server_cpu(setup.node)
    with ThreadPoolExecutor(clients) as pool:
        submitted = list(pool.map(submit, range(count)))
    submit_seconds, submit_cpu = time.perf_counter() - started, _server_cpu(setup.node) - cpu
    started, cpu = time.perf_counter(), _server_cpu(setup.node)
    with ThreadPoolExecutor(clients) as pool:
        decided = list(pool.map(decide, [rid for _, rid in submitted], range(count)))
    decide_seconds, decide_cpu = time.perf_counter() - started, _server_cpu(setup.node) - cpu
    _report("submit", [t for t, _ in submitted], submit_seconds, submit_cpu, goal_p95_ms=100.0)
    _report("decide", [t for t, _ in decided], decide_seconds, decide_cpu, goal_p95_ms=None)
    print(
        f"   load: {_load()} (1-minute load average on {os.cpu_count()} CPUs; the machine is "
        "shared)"
    )


def _server_cpu(node: LiveNode) -> float:
    """CPU seconds (user + system) the serving process has used, from /proc (Linux)."""
    assert node.process is not None
    stat = Path(f"/proc/{node.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _timed(call: Callable[[], httpx.Response]) -> tuple[float, str]:
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    if response.status_code >= 300:
        raise SystemExit(f"{response.request.url} → {response.status_code}: {response.text[:300]}")
    return elapsed, str(response.json()["id"])


def _report(
    name: str, seconds: list[float], wall: float, cpu: float, goal_p95_ms: float | None
) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p50, p95, p99 = (ms[int(len(ms) * q) - 1] for q in (0.50, 0.95, 0.99))
    goal = ""
    if goal_p95_ms is not None:
        goal = f"  goal p95 < {goal_p95_ms:.0f} ms: {'met' if p95 < goal_p95_ms else 'NOT met'}"
    print(
        f"{name:>7}: {len(ms)} calls in {wall:.1f} s ({len(ms) / wall:.0f}/s)  "
        f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms{goal}"
    )
    print(f"{'':>7}  server CPU {cpu * 1000 / len(ms):.1f} ms a call")


# --- 2. the grant check on a download -----------------------------------------------------------


def downloads_phase(setup: Setup, rounds: int, block: int = 20) -> None:
    """Blocks of ``block`` downloads of each kind, the kinds alternating request by request and
    the first kind alternating block by block; each block gives a ratio of medians, and the
    figure is the median of the blocks' ratios, so that load from other work on the machine
    falls on both kinds alike. The serving process's CPU time per download of each kind is
    summed over the blocks (CPU is read between the kinds, one block of one kind at a time)."""
    grant = _grant(setup)
    headers = _auth(setup.downloader)
    ratios: list[float] = []
    times: dict[str, list[float]] = {"open": [], "controlled": []}
    cpu = {"open": 0.0, "controlled": 0.0}
    urls = {"open": setup.open_url, "controlled": setup.controlled_url}
    with httpx.Client(base_url=setup.node.url, timeout=60) as client:
        for url in urls.values():
            for _ in range(5):
                _fetch(client, url, headers)  # warm both paths
        for b in range(max(1, rounds // block)):
            order = ("open", "controlled") if b % 2 == 0 else ("controlled", "open")
            block_times: dict[str, list[float]] = {"open": [], "controlled": []}
            for i in range(block * 2):
                kind = order[i % 2]
                block_times[kind].append(_fetch(client, urls[kind], headers))
            for kind in order:  # CPU per kind: the same downloads again, one kind at a time
                start = _server_cpu(setup.node)
                for _ in range(block):
                    _fetch(client, urls[kind], headers)
                cpu[kind] += _server_cpu(setup.node) - start
            for kind in order:
                times[kind] += block_times[kind]
            ratios.append(
                statistics.median(block_times["controlled"])
                / statistics.median(block_times["open"])
            )
    count = len(times["open"])
    ratio = statistics.median(ratios)
    print(
        f"download ({count} each in {len(ratios)} interleaved blocks, grant {grant}): "
        f"open median {statistics.median(times['open']) * 1000:.2f} ms, controlled under a "
        f"grant median {statistics.median(times['controlled']) * 1000:.2f} ms; median of the "
        f"blocks' ratios {ratio:.3f} (blocks {min(ratios):.3f}-{max(ratios):.3f}; goal ≤ 1.05: "
        f"{'met' if ratio <= 1.05 else 'NOT met'})"
    )
    print(
        f"{'':>9}server CPU a download: open {cpu['open'] * 1000 / count:.2f} ms, controlled "
        f"{cpu['controlled'] * 1000 / count:.2f} ms (ratio "
        f"{cpu['controlled'] / max(cpu['open'], 1e-9):.3f}); load {_load()}"
    )


def _grant(setup: Setup) -> str:
    """The downloader's approved grant on the controlled dataset (made in phase 1)."""
    response = httpx.get(
        f"{setup.node.url}/api/v1/grants",
        params={"dataset_id": setup.controlled_dataset, "limit": 200},
        headers=_auth(setup.downloader),
    )
    active = [g for g in response.json()["items"] if g["state"] == "active"]
    if not active:
        raise SystemExit("the downloader holds no active grant: run phase 1 with ≥ 4 requests")
    return str(active[0]["id"])


def _fetch(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url} → {response.status_code}: {response.text[:300]}")
    return elapsed


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


if __name__ == "__main__":
    main()

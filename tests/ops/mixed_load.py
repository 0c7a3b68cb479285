"""A mixed load on a demo node (``accord init --demo``) through its public URL: catalogue search,
file downloads, access requests, sandbox jobs and plain log appends (API tokens created and
revoked), from a few client threads at once. Counts answers by kind and status; used by the
scale-out test and by ``bench/scale_out.py``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select

from accord.config import Settings
from accord.identity import schemas, service
from accord.identity.principal import local_operator
from accord.node import NodeContext, read_identity
from accord.sandbox.models import Job

KINDS = ("search", "download", "request", "job", "append")


@dataclass(frozen=True)
class Plan:
    """What the load needs, found on the demo node."""

    researcher: dict[str, str]
    steward: dict[str, str]
    downloads: tuple[str, ...]
    controlled_dataset: str
    job_version: str
    job_sql: str


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def server_errors(self) -> dict[tuple[str, int], int]:
        return {k: n for k, n in self.statuses.items() if k[1] >= 500}

    def by_kind(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (kind, _), n in self.statuses.items():
            counts[kind] += n
        return dict(counts)


def tokens_for(settings: Settings, *emails: str) -> list[str]:
    """API tokens for demo people, issued by the operator (as ``accord user token`` does)."""
    identity = read_identity(settings.data_dir)
    assert identity is not None
    node = NodeContext(settings, identity)
    secrets: list[str] = []
    try:
        with node.session() as session:
            for email in emails:
                user = service.find_user(session, email)
                secret, _ = service.create_token(
                    session, local_operator(), user.id, schemas.TokenCreate(name="load")
                )
                secrets.append(secret)
            session.commit()
    finally:
        node.engine.dispose()
    return secrets


def demo_job(settings: Settings) -> tuple[str, str]:
    """The version and SQL of the job the demo queued for its researcher."""
    identity = read_identity(settings.data_dir)
    assert identity is not None
    node = NodeContext(settings, identity)
    try:
        with node.session(readonly=True) as session:
            row = session.execute(select(Job.version_id, Job.query).limit(1)).one()
    finally:
        node.engine.dispose()
    return str(row[0]), str(row[1])


def make_plan(http: httpx.Client, settings: Settings) -> Plan:
    researcher, steward = tokens_for(
        settings, "researcher@demo.accord.example", "steward@demo.accord.example"
    )
    open_hits = http.get("/api/v1/datasets", params={"tier": "open", "limit": 5}).json()["items"]
    downloads: list[str] = []
    for hit in open_hits:
        base = f"/api/v1/datasets/{hit['dataset_id']}/versions/{hit['version']}/files"
        for item in http.get(base).json()[:2]:
            downloads.append(f"{base}/{item['id']}/content")
    controlled = http.get("/api/v1/datasets", params={"tier": "controlled", "limit": 1}).json()
    version, sql = demo_job(settings)
    return Plan(
        researcher={"Authorization": f"Bearer {researcher}"},
        steward={"Authorization": f"Bearer {steward}"},
        downloads=tuple(downloads),
        controlled_dataset=controlled["items"][0]["dataset_id"],
        job_version=version,
        job_sql=sql,
    )


def run(make_client: Callable[[], httpx.Client], plan: Plan, seconds: float, threads: int) -> Tally:
    """Each thread cycles through the kinds of request until the time is up."""
    tally = Tally()
    stop = time.monotonic() + seconds
    workers = [
        threading.Thread(target=_client_loop, args=(make_client, plan, stop, tally, n))
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally


def _client_loop(
    make_client: Callable[[], httpx.Client], plan: Plan, stop: float, tally: Tally, n: int
) -> None:
    counter = itertools.count(n * 1_000_000)
    with make_client() as http:
        for kind in itertools.cycle(KINDS[n % len(KINDS) :] + KINDS[: n % len(KINDS)]):
            if time.monotonic() >= stop:
                return
            try:
                status = OPERATIONS[kind](http, plan, next(counter))
            except httpx.HTTPError as exc:
                tally.fail(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            tally.add(kind, status)


def _search(http: httpx.Client, plan: Plan, i: int) -> int:
    words = ("health", "malaria", "survey", "genomic", "population")
    return http.get("/api/v1/datasets", params={"q": words[i % len(words)]}).status_code


def _download(http: httpx.Client, plan: Plan, i: int) -> int:
    url = plan.downloads[i % len(plan.downloads)]
    return http.get(url, headers=plan.researcher).status_code


def _request(http: httpx.Client, plan: Plan, i: int) -> int:
    body = {
        "dataset_id": plan.controlled_dataset,
        "purpose": ["HMB"],
        "project_title": f"Load study {i}",
        "lay_summary": "A study submitted by the scale-out load to exercise the workflow.",
        "institution": "Instituto Nacional de Saúde Coletiva",
        "mode": "download",
        "duration": "P6M",
        "accept_duties": True,
    }
    return http.post("/api/v1/requests", json=body, headers=plan.researcher).status_code


def _job(http: httpx.Client, plan: Plan, i: int) -> int:
    body = {"version_id": plan.job_version, "sql": plan.job_sql}
    return http.post("/api/v1/jobs", json=body, headers=plan.researcher).status_code


def _append(http: httpx.Client, plan: Plan, i: int) -> int:
    made = http.post("/api/v1/tokens", json={"name": f"load {i}"}, headers=plan.steward)
    if made.status_code != 201:
        return made.status_code
    token_id = made.json()["id"]
    return http.post(f"/api/v1/tokens/{token_id}/revocation", headers=plan.steward).status_code


OPERATIONS: dict[str, Callable[[httpx.Client, Plan, int], int]] = {
    "search": _search,
    "download": _download,
    "request": _request,
    "job": _job,
    "append": _append,
}

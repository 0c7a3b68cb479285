"""A transparency report over a long history: 1,000,000 access requests (and their grants).

Seeds a scratch database (migrated like a node's) with bulk inserts through SQLAlchemy Core:
organisations in 120 countries, their researchers and datasets, N requests over two years
(about 60 % approved, 25 % denied, 5 % withdrawn, 10 % pending; half decided by the engine at
once, half by a committee within 0–60 days), a grant per approval, and some appeals, breach
reports, sanctions and duties. Then, side by side in the same run:

- **baseline**: the plain ``SELECT requester_country, state, COUNT(*) … GROUP BY`` over the
  requests (the least any report must do);
- **report**: the full transparency report (every section: breakdowns by country, region,
  income group, organisation, dataset and tier with exact median and 90th-percentile decision
  times, denial reasons, small actors, reciprocity, appeals, breaches, sanctions, duties, log
  counts), public (suppressed) as the API serves it.

Prints each time (best of ``--repeat``) and the ratio report / baseline. Goal: the report in
≤ 10 s on SQLite and on PostgreSQL.

    .venv/bin/python bench/reports_history.py [--requests 1000000] [--repeat 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

With a PostgreSQL URL, a scratch database is created beside the one named and dropped after.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from accord.access.models import (
    AccessRequest,
    Appeal,
    BreachReport,
    Duty,
    Grant,
    Sanction,
)
from accord.catalog.models import Dataset, DatasetVersion
from accord.db import make_engine, migrate
from accord.identity.models import Organisation, User
from accord.node import NodeIdentity
from accord.reports.alerts import Thresholds
from accord.reports.figures import Period
from accord.reports.regions import classification
from accord.reports.report import Options, build

START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
BATCH = 20_000
ORGS = 2_000
USERS_PER_ORG = 5
DATASETS = 400
REASON_SETS = [
    [{"code": "duo.purpose-not-permitted", "effect": "deny", "text": "purpose"}],
    [{"code": "residency.outside", "effect": "deny", "text": "residency"}],
    [{"code": "duo.commercial", "effect": "deny", "text": "commercial"}],
    [
        {"code": "ethics.missing", "effect": "deny", "text": "ethics"},
        {"code": "duo.purpose-not-permitted", "effect": "deny", "text": "purpose"},
    ],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server to use")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    with scratch_database(args.database_url) as engine:
        began = time.perf_counter()
        engine_name = engine.dialect.name
        seed(engine, args.requests, random.Random(args.seed))
        print(
            f"seeded {args.requests:,} requests in {time.perf_counter() - began:.1f} s "
            f"({engine.dialect.name})"
        )
        baseline = best(args.repeat, lambda: baseline_query(engine))
        report = best(args.repeat, lambda: full_report(engine))
    print("                           wall (s)   this process's CPU (s)")
    print(f"baseline COUNT/GROUP BY : {baseline[0]:8.3f}   {baseline[1]:8.3f}")
    print(f"transparency report     : {report[0]:8.3f}   {report[1]:8.3f}   (goal ≤ 10 s)")
    print(f"ratio report / baseline : {report[0] / baseline[0]:8.1f} x (wall)")
    if engine_name == "sqlite":
        print("(SQLite runs in this process, so its CPU time is the database's work too)")


def baseline_query(engine: Engine) -> None:
    table = AccessRequest.__table__
    with Session(engine) as session:
        session.execute(
            select(table.c.requester_country, table.c.state, func.count()).group_by(
                table.c.requester_country, table.c.state
            )
        ).all()


def full_report(engine: Engine) -> dict[str, Any]:
    now = START + SPAN
    identity = NodeIdentity("bench-node", "Bench node", "KE", "http://bench")
    options = Options("transparency", Period(START, now, now), True, 10, Thresholds())
    with Session(engine) as session:
        document = build(session, identity, options, now)
    json.dumps(document)
    return document


def best(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """The fastest of ``repeat`` runs: (wall seconds, CPU seconds of this process)."""
    times = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - began, time.process_time() - cpu))
    return min(times)


# --- seeding -------------------------------------------------------------------------------------


def seed(engine: Engine, count: int, rng: random.Random) -> None:
    countries = sorted(c for c in classification().countries if c != "AQ")[:120]
    orgs = [(f"org_{i:05d}", rng.choice(countries)) for i in range(ORGS)]
    users = [(f"usr_{o}_{j}", o, country) for o, country in orgs for j in range(USERS_PER_ORG)]
    datasets = [(f"ds_{i:05d}", orgs[i % ORGS][0]) for i in range(DATASETS)]
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation.__table__),
            [
                {
                    "id": o,
                    "name": f"Organisation {o}",
                    "ror_id": None,
                    "country": c,
                    "created_at": START,
                }
                for o, c in orgs
            ],
        )
        conn.execute(
            insert(User.__table__),
            [
                {
                    "id": u,
                    "name": u,
                    "email": f"{u}@example.org",
                    "orcid": None,
                    "organisation_id": o,
                    "country": c,
                    "status": "active",
                    "password_hash": None,
                    "created_at": START,
                }
                for u, o, c in users
            ],
        )
        conn.execute(
            insert(Dataset.__table__),
            [
                {"id": d, "organisation_id": o, "created_by": "usr_seed", "created_at": START}
                for d, o in datasets
            ],
        )
        conn.execute(
            insert(DatasetVersion.__table__),
            [_version(d, rng) for d, _ in datasets],
        )
    dataset_org = dict(datasets)
    grants = 0
    for chunk in _chunks(count):
        requests, granted = _requests(chunk, users, datasets, dataset_org, rng)
        with engine.begin() as conn:
            conn.execute(insert(AccessRequest.__table__), requests)
            if granted:
                conn.execute(insert(Grant.__table__), granted)
                conn.execute(insert(Duty.__table__), [_duty(g, rng) for g in granted[::20]])
            conn.execute(
                insert(Appeal.__table__),
                [_appeal(r) for r in requests[::200] if r["state"] == "denied"] or [],
            )
            conn.execute(insert(BreachReport.__table__), [_breach(g) for g in granted[::2000]])
            conn.execute(insert(Sanction.__table__), [_sanction(g) for g in granted[::5000]])
        grants += len(granted)
    print(f"  {grants:,} grants")


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, BATCH):
        yield range(start, min(count, start + BATCH))


def _version(dataset_id: str, rng: random.Random) -> dict[str, Any]:
    return {
        "id": "dv_" + dataset_id[3:],
        "dataset_id": dataset_id,
        "number": 1,
        "state": "published",
        "metadata": {},
        "title": f"Dataset {dataset_id}",
        "tier": rng.choice(["controlled", "registered", "restricted"]),
        "licence": "CC-BY-4.0",
        "created_by": "usr_seed",
        "created_at": START,
        "updated_at": START,
        "published_at": START - timedelta(days=rng.randint(1, 300)),
        **dict.fromkeys(_version_nullable()),
    }


def _version_nullable() -> list[str]:
    table = DatasetVersion.__table__
    fixed = {
        "id",
        "dataset_id",
        "number",
        "state",
        "metadata",
        "title",
        "tier",
        "published_at",
        "licence",
        "created_by",
        "created_at",
        "updated_at",
    }
    return [c.name for c in table.columns if c.name not in fixed and c.nullable]


def _requests(
    chunk: range,
    users: list[tuple[str, str, str]],
    datasets: list[tuple[str, str]],
    dataset_org: dict[str, str],
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    requests, granted = [], []
    seconds = int(SPAN.total_seconds())
    for i in chunk:
        user, org, country = users[int(rng.paretovariate(1.2) * 7) % len(users)]
        dataset, _ = datasets[rng.randrange(len(datasets))]
        created = START + timedelta(seconds=rng.randrange(seconds))
        roll = rng.random()
        state = (
            "approved"
            if roll < 0.6
            else "denied"
            if roll < 0.85
            else "withdrawn"
            if roll < 0.9
            else "referred"
        )
        engine_decides = state in ("approved", "denied") and rng.random() < 0.5
        decided = None
        if state in ("approved", "denied"):
            decided = (
                created
                if engine_decides
                else created + timedelta(seconds=rng.randrange(60 * 86400))
            )
        request_id = f"req_{i:010d}"
        requests.append(
            {
                "id": request_id,
                "kind": "access",
                "renews_grant_id": None,
                "requester_id": user,
                "requester_organisation_id": org,
                "requester_country": country,
                "dataset_id": dataset,
                "dataset_organisation_id": dataset_org[dataset],
                "version_id": "dv_" + dataset[3:],
                "version_number": 1,
                "tier": "controlled",
                "purpose_codes": ["HMB"],
                "disease_codes": [],
                "commercial": False,
                "ethics_approval": True,
                "ethics_reference": None,
                "project_title": "Study",
                "lay_summary": "Study",
                "institution": org,
                "collaborators": [],
                "mode": "download",
                "duration": "P1Y",
                "duties_accepted": True,
                "agreement_ref": None,
                "agreement_terms": {},
                "engine_outcome": "deny" if (engine_decides and state == "denied") else "refer",
                "engine_mode": "download",
                "engine_reasons": rng.choice(REASON_SETS) if state == "denied" else [],
                "engine_obligations": [],
                "state": state,
                "committee_name": None,
                "deadline_at": None if engine_decides else created + timedelta(days=30),
                "paused_at": None,
                "overdue_notified_at": None,
                "decided_by": None
                if decided is None
                else "engine"
                if engine_decides
                else "committee",
                "decided_at": decided,
                "decision_reasons": None,
                "conditions": [],
                "grant_id": None,
                "created_at": created,
                "updated_at": decided or created,
            }
        )
        if state == "approved" and decided is not None:
            granted.append(_grant(requests[-1], decided))
    return requests, granted


def _grant(request: dict[str, Any], decided: datetime) -> dict[str, Any]:
    return {
        "id": "gr_" + request["id"][4:],
        "request_id": request["id"],
        "user_id": request["requester_id"],
        "organisation_id": request["requester_organisation_id"],
        "dataset_id": request["dataset_id"],
        "dataset_organisation_id": request["dataset_organisation_id"],
        "version_id": request["version_id"],
        "version_number": 1,
        "mode": "download",
        "purpose": {},
        "conditions": [],
        "obligations": [],
        "agreement_ref": None,
        "agreement_terms": {},
        "starts_at": decided,
        "expires_at": decided + timedelta(days=365),
        "status": "active",
        "revoked_at": None,
        "revocation_reason": None,
        "revoked_by_sanction_id": None,
        "created_at": decided,
    }


def _duty(grant: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    due = grant["starts_at"] + timedelta(days=180)
    done = rng.random() < 0.7
    return {
        "id": "du_" + grant["id"][3:],
        "grant_id": grant["id"],
        "kind": "publication-report",
        "clause": None,
        "due_at": due,
        "status": "fulfilled" if done else "open",
        "fulfilled_at": due - timedelta(days=rng.randint(-20, 60)) if done else None,
        "reminded_at": None,
        "overdue_notified_at": None,
        "details": {},
    }


def _appeal(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "ap_" + request["id"][4:],
        "subject": "request",
        "request_id": request["id"],
        "sanction_id": None,
        "organisation_id": request["requester_organisation_id"],
        "appellant_id": request["requester_id"],
        "grounds": "Grounds",
        "state": "upheld" if int(request["id"][-1]) % 3 else "overturned",
        "decided_by": None,
        "decided_at": None,
        "reasons": None,
        "grant_id": None,
        "created_at": request["decided_at"] or request["created_at"],
    }


def _breach(grant: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "br_" + grant["id"][3:],
        "reporter_id": grant["user_id"],
        "grant_id": grant["id"],
        "dataset_id": grant["dataset_id"],
        "dataset_organisation_id": grant["dataset_organisation_id"],
        "suspect_user_id": grant["user_id"],
        "description": "Report",
        "state": "resolved",
        "outcome": "confirmed",
        "resolution": None,
        "resolved_by": None,
        "resolved_at": None,
        "created_at": grant["created_at"],
        "updated_at": grant["created_at"],
    }


def _sanction(grant: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "sa_" + grant["id"][3:],
        "kind": "suspension",
        "subject_kind": "user",
        "subject_id": grant["user_id"],
        "breach_id": None,
        "reason": "Breach",
        "starts_at": grant["created_at"],
        "ends_at": None,
        "imposed_by": "usr_review",
        "revoked_grants": [],
        "lifted_at": None,
        "lifted_by": None,
        "lift_reason": None,
        "created_at": grant["created_at"],
    }


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[Engine]:
    if server_url is None:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            migrate(engine)
            yield engine
            engine.dispose()
        return
    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server_url).set(database=name).render_as_string(False))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()

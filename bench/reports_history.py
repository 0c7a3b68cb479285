"""A transparency report over a long history: 1,000,000 access requests (and their grants).

Seeds a scratch database (migrated like a node's) in bulk (numpy-drawn columns written with the
driver's ``executemany`` on SQLite and ``COPY`` on PostgreSQL; about two minutes for a million):
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

Prints each time (best of ``--repeat``): wall seconds, and CPU seconds of this process and of the
PostgreSQL backend (which hold under load, unlike wall time on a shared machine), the ratios
report / baseline, and the load average seen. Goal: the report in ≤ 10 s on SQLite and on
PostgreSQL.

    .venv/bin/python bench/reports_history.py [--requests 1000000] [--repeat 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

With a PostgreSQL URL, a scratch database is created beside the one named and dropped after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sqlalchemy import Connection, Engine, Table, create_engine, event, func, select, text
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
BATCH = 50_000
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
        grants = seed(engine, args.requests, args.seed)
        print(
            f"seeded {args.requests:,} requests and {grants:,} grants in "
            f"{time.perf_counter() - began:.1f} s ({engine.dialect.name})"
        )
        load = os.getloadavg()[0]
        baseline = best(args.repeat, engine, baseline_query)
        report = best(args.repeat, engine, full_report)
        load = max(load, os.getloadavg()[0])
    print("                           wall (s)   CPU (s): this process   database server")
    print(f"baseline COUNT/GROUP BY : {baseline[0]:8.3f}   {baseline[1]:8.3f}   {baseline[2]:8.3f}")
    print(
        f"transparency report     : {report[0]:8.3f}   {report[1]:8.3f}   {report[2]:8.3f}"
        "   (goal ≤ 10 s)"
    )
    print(
        f"ratio report / baseline : {report[0] / baseline[0]:8.1f} x wall, "
        f"{sum(report[1:]) / max(sum(baseline[1:]), 1e-9):.1f} x CPU"
    )
    print(f"load average (1 min, highest seen): {load:.2f} on {os.cpu_count()} cores")
    if engine.dialect.name == "sqlite":
        print("(SQLite runs in this process, so its CPU time is the database's work too)")


def baseline_query(session: Session) -> None:
    table = AccessRequest.__table__
    session.execute(
        select(table.c.requester_country, table.c.state, func.count()).group_by(
            table.c.requester_country, table.c.state
        )
    ).all()


def full_report(session: Session) -> None:
    now = START + SPAN
    identity = NodeIdentity("bench-node", "Bench node", "KE", "http://bench")
    options = Options("transparency", Period(START, now, now), True, 10, Thresholds())
    json.dumps(build(session, identity, options, now))


def best(
    repeat: int, engine: Engine, work: Callable[[Session], None]
) -> tuple[float, float, float]:
    """The fastest of ``repeat`` runs: wall seconds, CPU seconds of this process and of the
    PostgreSQL backend serving it (0 on SQLite, which works inside this process; parallel
    workers the backend may start for a query are not counted)."""
    runs = []
    for _ in range(repeat):
        with Session(engine) as session:
            server = _backend(session)
            began, cpu, served = time.perf_counter(), time.process_time(), _cpu(server)
            work(session)
            wall = time.perf_counter() - began
            runs.append((wall, time.process_time() - cpu, _cpu(server) - served))
    return min(runs)


def _backend(session: Session) -> psutil.Process | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        return psutil.Process(pid)
    except psutil.Error:  # a server on another machine
        return None


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


# --- seeding -------------------------------------------------------------------------------------


def seed(engine: Engine, count: int, seed_value: int) -> int:
    """Seed the history; return the number of grants made.

    Values are drawn with numpy, whole columns at once, and written through the driver's bulk
    path: ``executemany`` of plain tuples on SQLite, ``COPY … FROM STDIN`` on PostgreSQL (no
    per-row work in SQLAlchemy). Times are written in the text form each backend stores."""
    rng = np.random.default_rng(seed_value)
    stamp = _stamper(engine.dialect.name)
    world = _World.draw(rng)
    start = stamp(np.zeros(1, dtype=np.int64))[0]
    with engine.begin() as conn:
        world.write(_writer(conn), stamp, start, rng)
    history = _History.draw(count, len(world.users), rng)
    grants = 0
    with _bulk_loading(engine):
        for low in range(0, count, BATCH):
            with engine.begin() as conn:
                grants += history.write(_writer(conn), stamp, world, low, min(count, low + BATCH))
    if engine.dialect.name == "postgresql":  # as autovacuum would have by now
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return grants


@contextmanager
def _bulk_loading(engine: Engine) -> Iterator[None]:
    """On SQLite, a scratch database need not survive a crash while it is filled: no syncing,
    and a page cache large enough to hold the indexes being built (new connections only)."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def loading(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")
        dbapi_connection.execute("PRAGMA cache_size=-262144")

    engine.dispose()
    event.listen(engine, "connect", loading)
    try:
        yield
    finally:
        event.remove(engine, "connect", loading)
        engine.dispose()


Columns = dict[str, Sequence[Any]]
Writer = Callable[[Table, Columns, dict[str, Any]], None]
Stamper = Callable[[npt.NDArray[np.int64]], list[str]]


def _writer(conn: Connection) -> Writer:
    """Write whole columns (``columns``: one sequence each) and constants into a table."""
    raw = conn.connection.driver_connection
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite:  # a scratch database: no foreign-key triggers, no waiting for the WAL flush
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")

    def write(table: Table, columns: Columns, constants: dict[str, Any]) -> None:
        unnamed = [c for c in table.columns if c.name not in columns and c.name not in constants]
        required = [c.name for c in unnamed if not c.nullable and c.server_default is None]
        assert not required, f"{table.name}: no value for {required}"
        constants = {**constants, **{c.name: None for c in unnamed}}
        names = [*columns, *constants]
        size = len(next(iter(columns.values())))
        rows = zip(
            *columns.values(), *(repeat(value, size) for value in constants.values()), strict=True
        )
        quoted = ", ".join(f'"{name}"' for name in names)
        if sqlite:
            marks = ", ".join("?" * len(names))
            raw.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
            return
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    return write


def _stamper(dialect: str) -> Stamper:
    """Seconds after START as the text each backend stores a UTC time as (SQLite: SQLAlchemy's
    ``YYYY-MM-DD HH:MM:SS.ffffff``; PostgreSQL: a timestamptz literal)."""
    suffix = ".000000" if dialect == "sqlite" else "+00"
    base = np.datetime64(START.replace(tzinfo=None), "s")

    def stamp(seconds: npt.NDArray[np.int64]) -> list[str]:
        texts = np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")
        return [f"{t[:10]} {t[11:]}{suffix}" for t in texts.tolist()]

    return stamp


@dataclass(frozen=True)
class _World:
    """Organisations in 120 countries, five researchers each, and the datasets they hold."""

    orgs: list[str]
    countries: list[str]
    users: list[str]
    datasets: list[str]

    @classmethod
    def draw(cls, rng: np.random.Generator) -> _World:
        known = sorted(c for c in classification().countries if c != "AQ")[:120]
        orgs = [f"org_{i:05d}" for i in range(ORGS)]
        countries = [known[i] for i in rng.integers(0, len(known), ORGS).tolist()]
        users = [f"usr_{o}_{j}" for o in orgs for j in range(USERS_PER_ORG)]
        return cls(orgs, countries, users, [f"ds_{i:05d}" for i in range(DATASETS)])

    def holder(self, dataset: int) -> str:
        return self.orgs[dataset % ORGS]

    def write(self, write: Writer, stamp: Stamper, start: str, rng: np.random.Generator) -> None:
        per_user = [
            (o, c)
            for o, c in zip(self.orgs, self.countries, strict=True)
            for _ in range(USERS_PER_ORG)
        ]
        write(
            Organisation.__table__,
            {"id": self.orgs, "name": [f"Organisation {o}" for o in self.orgs],
             "country": self.countries},
            {"ror_id": None, "created_at": start},
        )  # fmt: skip
        write(
            User.__table__,
            {
                "id": self.users,
                "name": self.users,
                "email": [f"{u}@example.org" for u in self.users],
                "organisation_id": [o for o, _ in per_user],
                "country": [c for _, c in per_user],
            },
            {"orcid": None, "status": "active", "password_hash": None, "created_at": start},
        )
        write(
            Dataset.__table__,
            {"id": self.datasets, "organisation_id": [self.holder(i) for i in range(DATASETS)]},
            {"created_by": "usr_seed", "created_at": start},
        )
        nullable = [c.name for c in DatasetVersion.__table__.columns if c.nullable]
        write(
            DatasetVersion.__table__,
            {
                "id": ["dv_" + d[3:] for d in self.datasets],
                "dataset_id": self.datasets,
                "title": [f"Dataset {d}" for d in self.datasets],
                "tier": [TIERS[i] for i in rng.integers(0, len(TIERS), DATASETS).tolist()],
                "published_at": stamp(-86400 * rng.integers(1, 301, DATASETS)),
            },
            {
                **dict.fromkeys(n for n in nullable if n != "published_at"),
                "number": 1,
                "state": "published",
                "metadata": "{}",
                "licence": "CC-BY-4.0",
                "created_by": "usr_seed",
                "created_at": start,
                "updated_at": start,
            },
        )


@dataclass(frozen=True)
class _History:
    """The drawn requests, one array per quantity: about 60 % approved, 25 % denied, 5 %
    withdrawn, 10 % pending; half of the decisions made by the engine at once, half by a
    committee within 60 days; requesters drawn from a heavy-tailed (Pareto) distribution."""

    user: npt.NDArray[np.int64]
    dataset: npt.NDArray[np.int64]
    created: npt.NDArray[np.int64]
    state: npt.NDArray[np.int64]
    by_engine: npt.NDArray[np.bool_]
    delay: npt.NDArray[np.int64]
    reasons: npt.NDArray[np.int64]

    @classmethod
    def draw(cls, count: int, users: int, rng: np.random.Generator) -> _History:
        pareto = np.minimum(rng.pareto(1.2, count) + 1.0, 1e12)
        state = np.searchsorted(np.array([0.6, 0.85, 0.9]), rng.random(count), side="right")
        decided = state < 2
        return cls(
            user=(pareto * 7).astype(np.int64) % users,
            dataset=rng.integers(0, DATASETS, count),
            created=rng.integers(0, int(SPAN.total_seconds()), count),
            state=state,
            by_engine=decided & (rng.random(count) < 0.5),
            delay=rng.integers(0, 60 * 86400, count),
            reasons=rng.integers(0, len(REASON_SETS), count),
        )

    def write(self, write: Writer, stamp: Stamper, world: _World, low: int, high: int) -> int:
        """Write requests ``low`` to ``high`` and what followed them; return the grants made."""
        span = slice(low, high)
        state = self.state[span]
        by_engine = self.by_engine[span]
        decided = state < 2
        created = self.created[span]
        decided_at = np.where(by_engine, created, created + self.delay[span])
        user = self.user[span].tolist()
        dataset = self.dataset[span].tolist()
        states = [STATES[s] for s in state.tolist()]
        ids = [f"req_{i:010d}" for i in range(low, high)]
        orgs = [world.orgs[u // USERS_PER_ORG] for u in user]
        created_at = stamp(created)
        decided_text = _where(decided, stamp(decided_at))
        denied = state == 1
        write(
            AccessRequest.__table__,
            {
                "id": ids,
                "requester_id": [world.users[u] for u in user],
                "requester_organisation_id": orgs,
                "institution": orgs,
                "requester_country": [world.countries[u // USERS_PER_ORG] for u in user],
                "dataset_id": [world.datasets[d] for d in dataset],
                "dataset_organisation_id": [world.holder(d) for d in dataset],
                "version_id": ["dv_" + world.datasets[d][3:] for d in dataset],
                "engine_outcome": ["deny" if e else "refer" for e in (by_engine & denied).tolist()],
                "engine_reasons": _where(
                    denied, [_REASONS[r] for r in self.reasons[span].tolist()], "[]"
                ),
                "state": states,
                "deadline_at": _where(~by_engine, stamp(created + 30 * 86400)),
                "decided_by": _where(
                    decided, ["engine" if e else "committee" for e in by_engine.tolist()]
                ),
                "decided_at": decided_text,
                "created_at": created_at,
                "updated_at": [d or c for d, c in zip(decided_text, created_at, strict=True)],
            },
            {
                "kind": "access",
                "renews_grant_id": None,
                "version_number": 1,
                "tier": "controlled",
                "purpose_codes": '["HMB"]',
                "disease_codes": "[]",
                "commercial": False,
                "ethics_approval": True,
                "ethics_reference": None,
                "project_title": "Study",
                "lay_summary": "Study",
                "collaborators": "[]",
                "mode": "download",
                "duration": "P1Y",
                "duties_accepted": True,
                "agreement_ref": None,
                "agreement_terms": "{}",
                "engine_mode": "download",
                "engine_obligations": "[]",
                "committee_name": None,
                "paused_at": None,
                "overdue_notified_at": None,
                "decision_reasons": None,
                "conditions": "[]",
                "grant_id": None,
            },
        )
        approved = np.flatnonzero(state == 0)
        self._grants(write, stamp, world, low, approved, decided_at[approved])
        appealed = np.flatnonzero(denied & (np.arange(low, high) % 200 == 0))
        write(
            Appeal.__table__,
            {
                "id": [f"ap_{low + i:010d}" for i in appealed.tolist()],
                "request_id": [ids[i] for i in appealed.tolist()],
                "organisation_id": [orgs[i] for i in appealed.tolist()],
                "appellant_id": [world.users[user[i]] for i in appealed.tolist()],
                "state": ["upheld" if (low + i) % 3 else "overturned" for i in appealed.tolist()],
                "created_at": [decided_text[i] for i in appealed.tolist()],
            },
            {
                "subject": "request",
                "sanction_id": None,
                "grounds": "Grounds",
                "decided_by": None,
                "decided_at": None,
                "reasons": None,
                "grant_id": None,
            },
        )
        return len(approved)

    def _grants(
        self,
        write: Writer,
        stamp: Stamper,
        world: _World,
        low: int,
        rows: npt.NDArray[np.intp],
        decided_at: npt.NDArray[np.int64],
    ) -> None:
        """A grant per approval; a duty for every 20th grant, a breach report for every
        2000th and a sanction for every 5000th."""
        ids = [f"gr_{low + i:010d}" for i in rows.tolist()]
        users = [world.users[u] for u in self.user[low + rows].tolist()]
        datasets = self.dataset[low + rows].tolist()
        made = stamp(decided_at)
        write(
            Grant.__table__,
            {
                "id": ids,
                "request_id": [f"req_{low + i:010d}" for i in rows.tolist()],
                "user_id": users,
                "organisation_id": [
                    world.orgs[u // USERS_PER_ORG] for u in self.user[low + rows].tolist()
                ],
                "dataset_id": [world.datasets[d] for d in datasets],
                "dataset_organisation_id": [world.holder(d) for d in datasets],
                "version_id": ["dv_" + world.datasets[d][3:] for d in datasets],
                "starts_at": made,
                "expires_at": stamp(decided_at + 365 * 86400),
                "created_at": made,
            },
            {
                "version_number": 1,
                "mode": "download",
                "purpose": "{}",
                "conditions": "[]",
                "obligations": "[]",
                "agreement_ref": None,
                "agreement_terms": "{}",
                "status": "active",
                "revoked_at": None,
                "revocation_reason": None,
                "revoked_by_sanction_id": None,
            },
        )
        dutied = np.arange(0, len(ids), 20)
        due = decided_at[dutied] + 180 * 86400
        done = (low + dutied) % 10 < 7
        early = (low + dutied) % 81 - 60
        write(
            Duty.__table__,
            {
                "id": ["du_" + ids[i][3:] for i in dutied.tolist()],
                "grant_id": [ids[i] for i in dutied.tolist()],
                "due_at": stamp(due),
                "status": ["fulfilled" if d else "open" for d in done.tolist()],
                "fulfilled_at": _where(done, stamp(due + early * 86400)),
            },
            {
                "kind": "publication-report",
                "clause": None,
                "reminded_at": None,
                "overdue_notified_at": None,
                "details": "{}",
            },
        )
        reported = np.arange(0, len(ids), 2000).tolist()
        write(
            BreachReport.__table__,
            {
                "id": ["br_" + ids[i][3:] for i in reported],
                "reporter_id": [users[i] for i in reported],
                "grant_id": [ids[i] for i in reported],
                "dataset_id": [world.datasets[datasets[i]] for i in reported],
                "dataset_organisation_id": [world.holder(datasets[i]) for i in reported],
                "suspect_user_id": [users[i] for i in reported],
                "created_at": [made[i] for i in reported],
                "updated_at": [made[i] for i in reported],
            },
            {
                "description": "Report",
                "state": "resolved",
                "outcome": "confirmed",
                "resolution": None,
                "resolved_by": None,
                "resolved_at": None,
            },
        )
        sanctioned = np.arange(0, len(ids), 5000).tolist()
        write(
            Sanction.__table__,
            {
                "id": ["sa_" + ids[i][3:] for i in sanctioned],
                "subject_id": [users[i] for i in sanctioned],
                "starts_at": [made[i] for i in sanctioned],
                "created_at": [made[i] for i in sanctioned],
            },
            {
                "kind": "suspension",
                "subject_kind": "user",
                "breach_id": None,
                "reason": "Breach",
                "ends_at": None,
                "imposed_by": "usr_review",
                "revoked_grants": "[]",
                "lifted_at": None,
                "lifted_by": None,
                "lift_reason": None,
            },
        )


def _where(mask: npt.NDArray[np.bool_], values: Sequence[Any], otherwise: Any = None) -> list[Any]:
    return [v if m else otherwise for v, m in zip(values, mask.tolist(), strict=True)]


STATES = ("approved", "denied", "withdrawn", "referred")
TIERS = ("controlled", "registered", "restricted")
_REASONS = [json.dumps(reasons) for reasons in REASON_SETS]


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

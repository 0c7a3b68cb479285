"""Shared fixtures: a real node on a real database (SQLite always, PostgreSQL when configured).

- ``database_url`` is parametrised over ``sqlite`` and ``postgresql``; the PostgreSQL case runs
  when ``ACCORD_TEST_DATABASE_URL`` is set (``.ci/run`` sets it) and is skipped otherwise.
- Each test gets a clean, fully migrated database: a copy of a migrated SQLite template, or the
  session's PostgreSQL database with every table truncated after the test.
- ``node`` is a ``NodeContext`` with keys in a temporary data dir and a settable clock.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from accord.clock import SettableClock
from accord.config import Settings
from accord.db import make_engine, migrate
from accord.identity import passwords, schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import Principal, local_operator
from accord.keys import ensure_keys
from accord.node import NodeContext, NodeIdentity
from accord.web.app import create_app
from tests.ledger.guard import every_change_is_logged
from tests.live import LiveNode, make_live_node

PG_ENV = "ACCORD_TEST_DATABASE_URL"
START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs on the PostgreSQL test database")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first: those marked ``slow``, then ``browser``, then by number of
    tests. ``--dist loadfile`` hands modules to the workers in this order (with
    ``--no-loadscope-reorder``), so that no long module starts last while the other worker idles
    (decision 0021). Tests keep their order within a module."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ranked = sorted(modules.values(), key=_expected_length)
    items[:] = [item for module in ranked for item in module]


def _expected_length(module: list[pytest.Item]) -> tuple[int, int]:
    markers = {marker.name for item in module for marker in item.iter_markers()}
    kind = 0 if "slow" in markers else 1 if "browser" in markers else 2
    return (kind, -len(module))


@pytest.fixture(scope="session", autouse=True)
def _every_change_is_logged() -> Iterator[None]:
    """DESIGN.md rule 1 for every test: a commit that changes state without a log entry fails."""
    with every_change_is_logged():
        yield


@pytest.fixture(scope="session", autouse=True)
def _test_sized_password_hashing() -> Iterator[None]:
    """Real Argon2id at test-sized cost for every test, as the access, sandbox and governance
    tests had it: the production profile (64 MiB, about 0.2 CPU-seconds a hash or a check) is
    paid for every account a test makes and every sign-in. A check reads the cost from the
    stored hash, so nodes served by ``accord serve`` check these hashes too."""
    production = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._HASHER = production


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "accord.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    truncate_all(url)


def truncate_all(url: str) -> None:
    """Empty every table and restart every sequence, as a fresh migrated database has them.

    Rows are deleted from the tables that hold any, with foreign-key triggers off for the
    transaction: a TRUNCATE costs the server a second or more (new files, synced) even for one
    empty table, against milliseconds to find and delete what a test wrote.
    """
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        probes = [f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables]
        written = conn.execute(text(" UNION ALL ".join(probes))).scalars().all() if probes else []
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in written:
            conn.execute(text(f'DELETE FROM "{table}"'))
        sequences = conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).scalars()
        for sequence in sequences.all():
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def node(settings: Settings, clock: SettableClock) -> Iterator[NodeContext]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_keys(settings.keys_dir)
    identity = NodeIdentity("test-node", "Test node", "CH", "http://testserver")
    context = NodeContext(settings, identity, clock=clock)
    yield context
    context.engine.dispose()


@pytest.fixture
def engine(node: NodeContext) -> Engine:
    return node.engine


@pytest.fixture
def session(node: NodeContext) -> Iterator[Session]:
    with node.session() as s:
        yield s


@pytest.fixture
def operator() -> Principal:
    return local_operator()


@pytest.fixture
def app(node: NodeContext) -> FastAPI:
    return create_app(node)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@dataclass
class Account:
    """A user of the test node with an API token."""

    id: str
    email: str
    password: str
    token: str
    organisation_id: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


MakeAccount = Callable[..., Account]


@pytest.fixture
def make_account(node: NodeContext) -> MakeAccount:
    """``make_account(Role.STEWARD, country="BR", organisation_id=...)`` → Account with a token."""
    counter = iter(range(1_000_000))

    def make(
        *roles: Role, country: str = "CH", organisation_id: str | None = None, **extra: Any
    ) -> Account:
        n = next(counter)
        password = f"password-{n:06d}-long"
        with node.session() as s:
            user, _ = service.create_user(
                s,
                local_operator(),
                schemas.UserCreate(
                    name=f"Person {n}",
                    email=f"person{n}@example.org",
                    country=country,
                    organisation_id=organisation_id,
                    roles=list(roles) or [Role.RESEARCHER],
                    password=password,
                    **extra,
                ),
            )
            secret, _ = service.create_token(
                s, local_operator(), user.id, schemas.TokenCreate(name="test")
            )
            s.commit()
            return Account(user.id, user.email, password, secret, organisation_id)

    return make


@pytest.fixture
def admin(make_account: MakeAccount) -> Account:
    return make_account(Role.ADMIN)


@pytest.fixture
def make_org(node: NodeContext) -> Callable[..., str]:
    def make(name: str = "Org", country: str = "CH", ror_id: str | None = None) -> str:
        with node.session() as s:
            org = service.create_organisation(
                s,
                local_operator(),
                schemas.OrganisationCreate(name=name, country=country, ror_id=ror_id),
            )
            s.commit()
            return org.id

    return make


@pytest.fixture(scope="module")
def live_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    """A real node (SQLite, no demo content) served on a free loopback port, shared by the tests
    of a module (decision 0020): a test that needs a node of its own makes one."""
    live = make_live_node(tmp_path_factory.mktemp("live") / "live")
    live.init()
    live.start()
    yield live
    live.stop()

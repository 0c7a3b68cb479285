"""Schema upgrades with data present: a node at the newest schema, with datasets, people and log
entries, is taken down to the first schema of every domain (downgrades), then up again one
revision at a time; no row is lost at any step, and at the end the log and the catalogue verify
and the schema is the one it started from."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from accord.catalog.verification import verify_catalog
from accord.db import alembic_config, make_engine, migrate
from accord.identity import schemas, service
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.ledger import service as ledger
from accord.ledger.audit import audit
from accord.ledger.sources import DatabaseLogSource
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from tests.catalog.conftest import Catalog
from tests.conftest import BACKENDS, PG_ENV, MakeAccount

RECREATED = {"ledger_checkpoints", "catalog_facet_counts"}
"""Tables a downgrade drops and an upgrade builds again (checkpoints are signed anew; facet
counts are recomputed from the search index)."""


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (this test moves the schema down and up), migrated to the heads."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'upgrades.db'}"
        _migrate(url)
        yield url
        return
    request.getfixturevalue("postgres_url")  # skips unless PostgreSQL is configured
    base = os.environ[PG_ENV]
    name = f"accord_upgrades_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_every_step_keeps_the_data_and_the_log_verifies_after(
    node: NodeContext, client: TestClient, make_account: MakeAccount, make_org: Callable[..., str]
) -> None:
    organisation = make_org("Data Centre", "KE")
    steward = make_account(Role.STEWARD, country="KE", organisation_id=organisation)
    Catalog(client, steward, organisation).published(files={"a.csv": b"x\n1\n", "b.csv": b"y\n"})
    for _ in range(5):
        make_account(Role.RESEARCHER, country="BR")
    before = _counts(node.engine)
    facets = _rows(node.engine, "catalog_facet_counts")
    schema = _schema(node.engine)
    node.engine.dispose()

    first = _down_to_first_schema(node.engine)
    assert _kept(before, _counts(node.engine))
    for revision in _upgrade_order(node.engine):
        if revision in first:
            continue
        command.upgrade(alembic_config(node.engine), revision)
        assert _kept(before, _counts(node.engine)), revision
    assert _rows(node.engine, "catalog_facet_counts") == facets
    assert _schema(node.engine) == schema

    with node.session() as session:
        service.create_organisation(
            session, local_operator(), schemas.OrganisationCreate(name="After", country="CH")
        )
        session.commit()
    with node.session(readonly=True) as session:
        report = audit(DatabaseLogSource(session), ledger.verifier(node), full=True)
        catalog = verify_catalog(session, blob_store_of(node), node.signing_key.public_key())
    assert report.ok, report.problems
    assert catalog.ok and catalog.versions_checked == 1


def _down_to_first_schema(engine: Engine) -> set[str]:
    """Downgrade every branch to its first revision; return the revisions left applied."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    later = [r for r in script.walk_revisions() if r.down_revision is not None]
    for revision in later:
        command.downgrade(alembic_config(engine), str(revision.down_revision))
    with engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    assert all(r.endswith("_0001") for r in applied)
    return applied


def _upgrade_order(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _counts(engine: Engine) -> dict[str, int]:
    names = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        return {t: int(conn.scalar(select(func.count()).select_from(table(t))) or 0) for t in names}


def _kept(before: dict[str, int], now: dict[str, int]) -> bool:
    """Every table present now (and not rebuilt from others) holds the rows it held before."""
    return all(now[t] == n for t, n in before.items() if t in now and t not in RECREATED)


def _rows(engine: Engine, name: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(text("*")).select_from(table(name))))


def _schema(engine: Engine) -> dict[str, tuple[list[str], list[str]]]:
    """Each table's columns and index names, as the database reports them."""
    inspector = inspect(engine)
    return {
        name: (
            sorted(c["name"] for c in inspector.get_columns(name)),
            sorted(str(i["name"]) for i in inspector.get_indexes(name)),
        )
        for name in inspector.get_table_names()
    }


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()

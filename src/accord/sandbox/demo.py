"""Demo sandbox for ``accord init --demo``: the demo researcher holds a sandbox grant on the first
restricted demo dataset, and one job waits in the queue (``accord serve`` starts a worker that
runs it). Everything goes through the agreements, access and sandbox services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import requests as access_requests
from accord.access.schemas import RequestCreate
from accord.agreements import service as agreements
from accord.catalog.models import DatasetVersion, VersionState
from accord.identity import service as identity
from accord.identity.principal import Principal
from accord.sandbox import service
from accord.sandbox.columns import tables_of
from accord.sandbox.engine import identifier

if TYPE_CHECKING:
    from accord.demo import DemoContext

GROUPABLE = ("BOOLEAN", "VARCHAR")
SANDBOX_AGREEMENT = {
    "title": "Restricted demo data: sandbox only",
    "summary": "The data never leave this node; outputs pass disclosure checks before release.",
    "tier": "restricted",
    "licence": "LicenseRef-accord-data-use-agreement",
    "duo": {"permission": "HMB"},
    "max_grant_duration": "P1Y",
    "committee": {"name": "Demo data access committee", "review": "exceptions"},
}


def seed_sandbox(session: Session, operator: Principal, context: DemoContext) -> None:
    """Grant the demo researcher sandbox access to a restricted dataset and queue a job."""
    version = session.scalars(
        select(DatasetVersion)
        .where(
            DatasetVersion.tier == "restricted",
            DatasetVersion.state == VersionState.PUBLISHED.value,
        )
        .order_by(DatasetVersion.created_at)
        .limit(1)
    ).first()
    if version is None or "researcher" not in context.users:
        return
    if agreements.governing(session, version.id) is None:
        agreement = agreements.create_agreement(session, operator, SANDBOX_AGREEMENT)
        agreements.publish(session, operator, agreement.agreement_id, 1)
        agreements.attach(session, operator, agreement.agreement_id, 1, version.id)
    user = identity.get_user(session, context.users["researcher"])
    researcher = identity.principal_for(user, via="local")
    request = access_requests.submit(
        session,
        researcher,
        RequestCreate(
            dataset_id=version.dataset_id,
            purpose=["HMB"],
            project_title="Case counts by district (demo)",
            lay_summary="A demonstration of analysis in the sandbox: counts by district.",
            institution="Instituto Nacional de Saúde Coletiva",
            mode="sandbox",
            duration="P6M",
            accept_duties=True,
        ),
    )
    if request.grant_id is None:
        return
    query = _demo_query(session, version)
    if query is not None:
        service.submit(session, researcher, version.id, sql=query)


def _demo_query(session: Session, version: DatasetVersion) -> str | None:
    """Counts (and the mean of the first decimal column) by the first low-cardinality column."""
    tables = tables_of(session, version)
    if not tables or len(tables[0].columns) < 2:
        return None
    table = tables[0]
    columns = table.columns[1:]
    group = next((c for c in columns if c["type"] in GROUPABLE), columns[0])["name"]
    measure = next((c["name"] for c in columns if c["type"] == "DOUBLE"), None)
    mean = f", avg({identifier(measure)}) AS mean_{measure}" if measure else ""
    return (
        f"SELECT {identifier(group)}, count(*) AS n{mean}\n"
        f"FROM {table.table}\nGROUP BY 1\nORDER BY 1"
    )

"""Demo access workflow for ``accord init --demo``, through the agreements and access services:

- the first controlled dataset gets an agreement whose committee reviews every request, and the
  demo researcher's request waits in the committee's queue;
- the second gets one that grants health research at once: the Kenyan demo researcher holds a
  download grant on it (with its duties), and a request of theirs for ancestry research on the
  first was denied by the engine and can be appealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import requests
from accord.access.schemas import RequestCreate
from accord.agreements import service as agreements
from accord.catalog.models import DatasetVersion, VersionState
from accord.identity import service as identity
from accord.identity.principal import Principal

if TYPE_CHECKING:
    from accord.demo import DemoContext

REVIEWED = {
    "title": "Controlled health data: committee review (demo)",
    "summary": "Health research only; the data access committee reviews every request.",
    "tier": "controlled",
    "licence": "CC-BY-4.0",
    "duo": {"permission": "HMB"},
    "max_grant_duration": "P1Y",
    "duties": [
        {"kind": "cite"},
        {"kind": "report-publications", "within_months": 12},
        {"kind": "delete-after-use", "within_days": 30},
    ],
    "committee": {"name": "Demo data access committee", "decision_deadline": "P30D"},
}
GRANTED_AT_ONCE = REVIEWED | {
    "title": "Controlled health data: granted when the conditions hold (demo)",
    "summary": "Health research only; requests that meet every condition are granted at once.",
    "committee": {"name": "Demo data access committee", "review": "exceptions"},
}


def seed_access(session: Session, operator: Principal, context: DemoContext) -> None:
    versions = _controlled_versions(session)
    if len(versions) < 2 or not {"researcher", "researcher-ke"} <= context.users.keys():
        return
    reviewed, granted = versions[0], versions[1]
    _govern(session, operator, reviewed, REVIEWED)
    _govern(session, operator, granted, GRANTED_AT_ONCE)
    researcher = _principal(session, context.users["researcher"])
    kenyan = _principal(session, context.users["researcher-ke"])
    requests.submit(session, researcher, _request(reviewed, "Long-term outcomes (demo)"))
    requests.submit(session, kenyan, _request(granted, "Treatment response by region (demo)"))
    requests.submit(
        session, kenyan, _request(reviewed, "Ancestry of the cohort (demo)", purpose=["POA"])
    )


def _controlled_versions(session: Session) -> list[DatasetVersion]:
    return list(
        session.scalars(
            select(DatasetVersion)
            .where(
                DatasetVersion.tier == "controlled",
                DatasetVersion.state == VersionState.PUBLISHED.value,
            )
            .order_by(DatasetVersion.created_at)
            .limit(2)
        )
    )


def _govern(
    session: Session, operator: Principal, version: DatasetVersion, document: dict[str, Any]
) -> None:
    if agreements.governing(session, version.id) is None:
        created = agreements.create_agreement(session, operator, document)
        agreements.publish(session, operator, created.agreement_id, 1)
        agreements.attach(session, operator, created.agreement_id, 1, version.id)


def _principal(session: Session, user_id: str) -> Principal:
    return identity.principal_for(identity.get_user(session, user_id), via="local")


def _request(
    version: DatasetVersion, title: str, purpose: list[str] | None = None
) -> RequestCreate:
    return RequestCreate(
        dataset_id=version.dataset_id,
        version=version.number,
        purpose=purpose or ["HMB"],
        project_title=title,
        lay_summary="A demonstration request: which patients recover fastest, and why.",
        institution="Demo institute",
        mode="download",
        duration="P6M",
        accept_duties=True,
    )

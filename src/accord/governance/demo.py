"""Demo governance for ``accord init --demo``, through the governance services: the demo
committee member and reviewer seated in the register, a risk assessment of the first controlled
dataset, and an open consultation on the committees' terms of reference."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.catalog.models import DatasetVersion, VersionState
from accord.governance import policies, register, risk
from accord.governance.assessment import Assessment, Category, Level, Mitigation
from accord.identity.permissions import ScopeKind
from accord.identity.principal import Principal
from accord.node import node_of

if TYPE_CHECKING:
    from accord.demo import DemoContext

SEATS = (
    ("committee", register.Body.COMMITTEE, ("Co-investigator on a malaria cohort (until 2025)",)),
    ("reviewer", register.Body.REVIEW_BODY, ()),
)
TERMS = """# Data access committee: terms of reference (demo)

1. The committee decides each referred request within 30 days, with written reasons.
2. A member from the requester's organisation does not vote on the request.
3. Members declare their interests in the public governance register and update them yearly.
"""


def seed_governance(session: Session, operator: Principal, context: DemoContext) -> None:
    now = node_of(session).clock.now()
    for handle, body, interests in SEATS:
        if handle in context.users:
            seat = register.Seat(
                body, ScopeKind.NODE, "", now.date(), now.date() + timedelta(days=3 * 365),
                interests,
            )  # fmt: skip
            register.appoint(session, operator, context.users[handle], seat)
    version = session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.tier == "controlled", DatasetVersion.state == VersionState.PUBLISHED)
        .order_by(DatasetVersion.created_at)
        .limit(1)
    ).first()
    if version is not None:
        assessment = Assessment(
            categories=[Category.HEALTH, Category.PERSONAL],
            reidentification_risk=Level.MEDIUM,
            harm_if_misused=Level.MEDIUM,
            mitigations=[Mitigation.ETHICS_APPROVAL, Mitigation.ACCESS_AGREEMENT],
            notes="Demo assessment: pseudonymised clinical records.",
        )
        risk.assess(session, operator, version.dataset_id, version.number, assessment)
    policies.propose(
        session,
        operator,
        policies.Proposal(
            policies.PolicyKind.COMMITTEE_TERMS,
            "Committee terms of reference, version 1 (demo)",
            "The first written terms: 30-day decisions, conflicts of interest, declarations.",
            TERMS,
            now + timedelta(days=30),
        ),
    )

"""Risk assessments of dataset versions: recorded, turned into a recommendation by the
published rules, and overridden only with a recorded justification.

The rules in force are the node's adopted ``risk-rules`` policy (changed through a
consultation), or the rules the node ships until it adopts its own. Each assessment of a version
gets the next number; the newest is the one shown on the dataset page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.errors import FieldError, Forbidden, InvalidInput
from accord.governance import policies
from accord.governance.assessment import Assessment, Choice
from accord.governance.models import RiskAssessment
from accord.governance.rules import RulesDocument, default_rules, parse_rules, recommend
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.node import node_of

MIN_JUSTIFICATION = 20


def rules_in_force(session: Session, now: datetime) -> RulesDocument:
    """The node's adopted risk rules in force at ``now``, else the rules it ships."""
    adopted = policies.in_force(session, policies.PolicyKind.RISK_RULES, now)
    return parse_rules(adopted.content) if adopted is not None else default_rules()


def assess(
    session: Session,
    actor: Principal,
    dataset_id: str,
    number: int | None,
    assessment: Assessment,
    choice: Choice | None = None,
) -> RiskAssessment:
    """Record a steward's assessment of a version, the rules' recommendation, and their choice."""
    version = catalog.get_version(session, dataset_id, number, actor)
    _check_assessor(actor, version)
    now = node_of(session).clock.now()
    rules = rules_in_force(session, now)
    advice = recommend(assessment, rules)
    tier = choice.tier.value if choice else advice.tier.value
    mode = choice.mode.value if choice else advice.mode.value
    overridden = (tier, mode) != (advice.tier.value, advice.mode.value)
    justification = _justification(choice) if overridden else None
    row = RiskAssessment(
        id=new_id("rsk"),
        dataset_id=version.dataset_id,
        version_id=version.id,
        version_number=version.number,
        number=_next_number(session, version.id),
        assessment=assessment.model_dump(mode="json"),
        rules_version=rules.version,
        recommendation=advice.as_json(),
        chosen_tier=tier,
        chosen_mode=mode,
        justification=justification,
        assessed_by=actor.user_id,
        assessed_at=now,
    )
    session.add(row)
    session.flush()
    _log(session, actor, row)
    return row


def latest(session: Session, version_id: str) -> RiskAssessment | None:
    stmt = (
        select(RiskAssessment)
        .where(RiskAssessment.version_id == version_id)
        .order_by(RiskAssessment.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def history(
    session: Session, dataset_id: str, number: int | None, viewer: Principal | None
) -> tuple[DatasetVersion, list[RiskAssessment]]:
    """A version (as the viewer may see it) and its assessments, newest first."""
    version = catalog.get_version(session, dataset_id, number, viewer)
    stmt = (
        select(RiskAssessment)
        .where(RiskAssessment.version_id == version.id)
        .order_by(RiskAssessment.number.desc())
    )
    return version, list(session.scalars(stmt))


@dataclass(frozen=True)
class Summary:
    """What the dataset page shows of the newest assessment (public)."""

    id: str
    number: int
    categories: list[str]
    reidentification_risk: str
    harm_if_misused: str
    export_control: bool
    mitigations: list[str]
    recommended_tier: str
    recommended_mode: str
    safeguards: list[str]
    chosen_tier: str
    chosen_mode: str
    justification: str | None
    rules_version: str
    assessed_at: datetime


def summary(session: Session, version_id: str) -> Summary | None:
    row = latest(session, version_id)
    if row is None:
        return None
    a, r = row.assessment, row.recommendation
    return Summary(
        row.id,
        row.number,
        list(a["categories"]),
        a["reidentification_risk"],
        a["harm_if_misused"],
        bool(a["export_control"]),
        list(a["mitigations"]),
        r["tier"],
        r["mode"],
        list(r["safeguards"]),
        row.chosen_tier,
        row.chosen_mode,
        row.justification,
        row.rules_version,
        row.assessed_at,
    )


def _check_assessor(actor: Principal, version: DatasetVersion) -> None:
    if not actor.can(
        Permission.GOVERNANCE_RISK_ASSESS,
        organisation_id=version.dataset.organisation_id,
        dataset_id=version.dataset_id,
    ):
        raise Forbidden(
            "only the dataset's stewards assess its risks",
            code="governance.not-steward",
            extra={"permission": Permission.GOVERNANCE_RISK_ASSESS.value},
        )


def _justification(choice: Choice | None) -> str:
    text = choice.justification.strip() if choice else ""
    if len(text) < MIN_JUSTIFICATION:
        raise InvalidInput(
            "choosing another tier or mode than the rules recommend needs a justification "
            f"of at least {MIN_JUSTIFICATION} characters",
            code="governance.justification-required",
            errors=[FieldError("choice.justification", f"at least {MIN_JUSTIFICATION} characters")],
        )
    return text


def _next_number(session: Session, version_id: str) -> int:
    current = session.scalar(
        select(func.max(RiskAssessment.number)).where(RiskAssessment.version_id == version_id)
    )
    return (current or 0) + 1


def _log(session: Session, actor: Principal, row: RiskAssessment) -> None:
    advice = row.recommendation
    ledger.append(
        session,
        ledger.Event(
            "governance.assessment.recorded",
            subjects={"actor": actor.user_id},
            public={
                "assessment": row.id,
                "dataset": row.dataset_id,
                "version": row.version_number,
                "number": row.number,
                "categories": row.assessment["categories"],
                "recommended": {"tier": advice["tier"], "mode": advice["mode"]},
                "rules_version": row.rules_version,
            },
            record={"assessment": row.assessment, "recommendation": advice},
        ),
    )
    if row.justification is not None:
        ledger.append(
            session,
            ledger.Event(
                "governance.assessment.overridden",
                subjects={"actor": actor.user_id},
                public={
                    "assessment": row.id,
                    "recommended": {"tier": advice["tier"], "mode": advice["mode"]},
                    "chosen": {"tier": row.chosen_tier, "mode": row.chosen_mode},
                },
                record={"justification": row.justification},
            ),
        )

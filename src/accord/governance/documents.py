"""The governance API's documents, built from rows (shared by the API, pages and CLI)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from accord.governance import policies, register
from accord.governance.models import Comment, Policy, RiskAssessment
from accord.governance.schemas import (
    AssessmentOut,
    CommentOut,
    ConsultationOut,
    PolicyDocument,
    PolicyOut,
    RecommendationOut,
    RegisterEntryOut,
)
from accord.node import node_of


def assessment_out(row: RiskAssessment, *, full: bool) -> AssessmentOut:
    """An assessment; the steward's free-text notes only with ``full``."""
    shown = dict(row.assessment)
    if not full:
        shown.pop("notes", None)
        shown.pop("export_control_notes", None)
    return AssessmentOut(
        id=row.id,
        dataset_id=row.dataset_id,
        version=row.version_number,
        number=row.number,
        assessment=shown,
        recommendation=RecommendationOut.model_validate(row.recommendation),
        chosen_tier=row.chosen_tier,
        chosen_mode=row.chosen_mode,
        overridden=row.justification is not None,
        justification=row.justification,
        assessed_at=row.assessed_at,
    )


def policy_out(session: Session, policy: Policy) -> PolicyOut:
    return PolicyOut(**_policy_fields(session, policy))


def policy_document(session: Session, policy: Policy) -> PolicyDocument:
    return PolicyDocument(**_policy_fields(session, policy), content=policy.content)


def consultation_out(session: Session, consultation_id: str) -> ConsultationOut:
    consultation = policies.get_consultation(session, consultation_id)
    policy = policies.policy_of(session, consultation)
    now = node_of(session).clock.now()
    return ConsultationOut(
        id=consultation.id,
        policy=policy_document(session, policy),
        opened_at=consultation.opened_at,
        deadline_at=consultation.deadline_at,
        open=consultation.decided_at is None and now < consultation.deadline_at,
        decided_at=consultation.decided_at,
        outcome=consultation.outcome,
        reasons=consultation.reasons,
        peers_notified=list(consultation.peers_notified),
        comments=[comment_out(c) for c in policies.comments_of(session, consultation)],
    )


def comment_out(found: Comment) -> CommentOut:
    return CommentOut(
        id=found.id,
        author_kind=found.author_kind,
        author=found.author_name,
        text=found.text,
        received_at=found.received_at,
    )


def register_out(session: Session) -> list[RegisterEntryOut]:
    return [
        RegisterEntryOut(**asdict(e), declared=e.membership_id is not None)
        for e in register.entries(session)
    ]


def _policy_fields(session: Session, policy: Policy) -> dict[str, object]:
    now = node_of(session).clock.now()
    consultation = policies.consultation_of(session, policy)
    current = policies.in_force(session, policies.PolicyKind(policy.kind), now)
    return {
        "id": policy.id,
        "kind": policy.kind,
        "number": policy.number,
        "title": policy.title,
        "summary": policy.summary,
        "content_sha256": policy.content_sha256,
        "status": policies.status(policy, consultation, current, now),
        "proposed_at": policy.proposed_at,
        "effective_at": policy.effective_at,
        "consultation_id": consultation.id if consultation else None,
    }

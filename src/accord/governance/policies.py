"""The node's own rules, made in the open: versioned policy documents, each change consulted on.

A proposed version opens a consultation with a deadline. Registered users comment until the
deadline; peer nodes are told through signed node-to-node calls and comment the same way
(``peer_consultations.py``). After the deadline an admin decides: adopt (the version takes effect
on a stated date, at or after the decision) or reject, with reasons; the decision page shows
every response received. Each step is a ledger event in the transaction that makes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.clock import rfc3339
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.governance.models import Comment, Consultation, Policy
from accord.governance.rules import parse_rules
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ids import has_prefix, new_id
from accord.node import node_of
from accord.paging import fetch_page

MIN_CONSULTATION = timedelta(days=1)
MAX_CONSULTATION = timedelta(days=366)
MAX_COMMENT = 10_000


class PolicyKind(StrEnum):
    AGREEMENT_TEMPLATE = "agreement-template"
    COMMITTEE_TERMS = "committee-terms"
    SANCTION_GUIDELINES = "sanction-guidelines"
    EQUITY_THRESHOLDS = "equity-thresholds"
    RISK_RULES = "risk-rules"


class Outcome(StrEnum):
    ADOPT = "adopt"
    REJECT = "reject"


@dataclass(frozen=True)
class Proposal:
    kind: PolicyKind
    title: str
    summary: str
    content: str
    deadline_at: datetime


def propose(session: Session, actor: Principal, proposal: Proposal) -> Consultation:
    """Record a proposed version of a policy and open its consultation until the deadline."""
    _require(actor, Permission.GOVERNANCE_POLICY_PROPOSE)
    now = node_of(session).clock.now()
    _check_deadline(proposal.deadline_at, now)
    if proposal.kind is PolicyKind.RISK_RULES:
        parse_rules(proposal.content)
    if pending(session, proposal.kind) is not None:
        raise Conflict(
            f"a change of {proposal.kind} is under consultation already",
            code="governance.consultation-pending",
            hint="decide that consultation first",
        )
    policy = Policy(
        id=new_id("pol"),
        kind=proposal.kind.value,
        number=_next_number(session, proposal.kind),
        title=proposal.title,
        summary=proposal.summary,
        content=proposal.content,
        content_sha256=hashlib.sha256(proposal.content.encode()).hexdigest(),
        state="proposed",
        proposed_by=actor.user_id,
        proposed_at=now,
    )
    session.add(policy)
    session.flush()
    consultation = Consultation(
        id=new_id("cns"),
        policy_id=policy.id,
        opened_at=now,
        deadline_at=proposal.deadline_at,
        peers_notified=[],
    )
    session.add(consultation)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "governance.consultation.opened",
            subjects={"actor": actor.user_id},
            public={
                "consultation": consultation.id,
                "policy": policy.kind,
                "version": policy.number,
                "content_sha256": policy.content_sha256,
                "deadline": rfc3339(proposal.deadline_at),
            },
            record={"title": policy.title, "summary": policy.summary},
        ),
    )
    return consultation


def comment(session: Session, actor: Principal, consultation_id: str, text: str) -> Comment:
    """A registered user's response to an open consultation."""
    _require(actor, Permission.GOVERNANCE_CONSULTATION_COMMENT)
    consultation = get_consultation(session, consultation_id)
    return _add_comment(session, consultation, "user", actor.user_id, actor.name, text, actor)


def peer_comment(
    session: Session, consultation_id: str, peer_node_id: str, peer_name: str, text: str
) -> Comment:
    """A peer node's response, received through a signed call (the caller checked the key)."""
    consultation = get_consultation(session, consultation_id)
    return _add_comment(session, consultation, "peer", peer_node_id, peer_name, text, None)


def decide(
    session: Session,
    actor: Principal,
    consultation_id: str,
    outcome: Outcome,
    reasons: str,
    effective_at: datetime | None,
) -> Consultation:
    """Close a consultation after its deadline: adopt the version from a date, or reject it."""
    _require(actor, Permission.GOVERNANCE_POLICY_DECIDE)
    consultation = get_consultation(session, consultation_id)
    now = node_of(session).clock.now()
    _check_decidable(consultation, now)
    text = reasons.strip()
    if len(text) < 10:
        raise InvalidInput(
            "give the reasons for the decision (at least 10 characters)",
            code="governance.invalid-decision",
            errors=[FieldError("reasons", "at least 10 characters")],
        )
    policy = policy_of(session, consultation)
    if outcome is Outcome.ADOPT:
        policy.state, policy.effective_at = "adopted", _effective(effective_at, now)
    else:
        policy.state = "rejected"
    consultation.decided_at, consultation.decided_by = now, actor.user_id
    consultation.outcome, consultation.reasons = outcome.value, text
    responses = comments_of(session, consultation)
    ledger.append(
        session,
        ledger.Event(
            "governance.consultation.decided",
            subjects={"actor": actor.user_id},
            public={
                "consultation": consultation.id,
                "policy": policy.kind,
                "version": policy.number,
                "outcome": outcome.value,
                "effective": rfc3339(policy.effective_at) if policy.effective_at else None,
                "responses": len(responses),
            },
            record={"reasons": text, "responses": [c.id for c in responses]},
        ),
    )
    return consultation


# --- reading -------------------------------------------------------------------------------


def get_consultation(session: Session, consultation_id: str) -> Consultation:
    found = (
        session.get(Consultation, consultation_id) if has_prefix(consultation_id, "cns") else None
    )
    if found is None:
        raise NotFound(
            f"no consultation {consultation_id[:60]!r}", code="governance.consultation-not-found"
        )
    return found


def policy_of(session: Session, consultation: Consultation) -> Policy:
    policy = session.get(Policy, consultation.policy_id)
    assert policy is not None  # a foreign key
    return policy


def consultation_of(session: Session, policy: Policy) -> Consultation | None:
    return session.scalars(select(Consultation).where(Consultation.policy_id == policy.id)).first()


def comments_of(session: Session, consultation: Consultation) -> list[Comment]:
    stmt = select(Comment).where(Comment.consultation_id == consultation.id).order_by(Comment.id)
    return list(session.scalars(stmt))


def list_policies(session: Session, kind: PolicyKind | None = None) -> Sequence[Policy]:
    """Every version of every policy (or of one kind), newest first within a kind."""
    stmt = select(Policy).order_by(Policy.kind, Policy.number.desc())
    if kind is not None:
        stmt = stmt.where(Policy.kind == kind.value)
    return session.scalars(stmt).all()


def page_policies(
    session: Session, kind: PolicyKind | None, *, limit: int, cursor: str | None
) -> tuple[Sequence[Policy], str | None]:
    """Policy versions in the order they were proposed, a page at a time."""
    stmt = select(Policy)
    if kind is not None:
        stmt = stmt.where(Policy.kind == kind.value)
    return fetch_page(session, stmt, Policy.id, limit=limit, cursor=cursor)


def get_policy(session: Session, kind: PolicyKind, number: int) -> Policy:
    found = session.scalars(
        select(Policy).where(Policy.kind == kind.value, Policy.number == number)
    ).first()
    if found is None:
        raise NotFound(f"no version {number} of {kind}", code="governance.policy-not-found")
    return found


def in_force(session: Session, kind: PolicyKind, now: datetime) -> Policy | None:
    """The adopted version of ``kind`` that took effect most recently (None: none yet)."""
    stmt = (
        select(Policy)
        .where(
            Policy.kind == kind.value,
            Policy.state == "adopted",
            Policy.effective_at <= now,
        )
        .order_by(Policy.effective_at.desc(), Policy.number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def pending(session: Session, kind: PolicyKind) -> Policy | None:
    stmt = select(Policy).where(Policy.kind == kind.value, Policy.state == "proposed")
    return session.scalars(stmt).first()


def status(
    policy: Policy, consultation: Consultation | None, current: Policy | None, now: datetime
) -> str:
    """Where a version stands: consultation, awaiting-decision, rejected, adopted (not yet in
    force), in-force, or superseded."""
    if policy.state == "proposed":
        if consultation is not None and now < consultation.deadline_at:
            return "consultation"
        return "awaiting-decision"
    if policy.state == "rejected":
        return "rejected"
    assert policy.effective_at is not None
    if now < policy.effective_at:
        return "adopted"
    return "in-force" if current is not None and current.id == policy.id else "superseded"


# --- helpers -------------------------------------------------------------------------------


def _add_comment(
    session: Session,
    consultation: Consultation,
    kind: str,
    author_id: str,
    author_name: str,
    text: str,
    actor: Principal | None,
) -> Comment:
    now = node_of(session).clock.now()
    if consultation.decided_at is not None or now >= consultation.deadline_at:
        raise Conflict(
            f"consultation {consultation.id} closed on {rfc3339(consultation.deadline_at)}: "
            "comments are no longer accepted",
            code="governance.consultation-closed",
            hint="responses are accepted until the deadline; the decision lists those received",
        )
    body = text.strip()
    if not body or len(body) > MAX_COMMENT:
        raise InvalidInput(
            f"a comment has 1 to {MAX_COMMENT} characters",
            code="governance.invalid-comment",
            errors=[FieldError("text", f"1 to {MAX_COMMENT} characters")],
        )
    found = Comment(
        id=new_id("cmt"),
        consultation_id=consultation.id,
        author_kind=kind,
        author_id=author_id,
        author_name=author_name[:300],
        text=body,
        received_at=now,
    )
    session.add(found)
    session.flush()
    subjects = {"actor": actor.user_id} if actor is not None else {}
    ledger.append(
        session,
        ledger.Event(
            "governance.comment.received",
            subjects=subjects,
            public={
                "consultation": consultation.id,
                "comment": found.id,
                "from": kind,
                **({"node": author_id} if kind == "peer" else {}),
                "text_sha256": hashlib.sha256(body.encode()).hexdigest(),
            },
            record={"text": body},
        ),
    )
    return found


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if deadline.tzinfo is None or not (
        now + MIN_CONSULTATION <= deadline <= now + MAX_CONSULTATION
    ):
        raise InvalidInput(
            "the deadline must be a UTC time between one day and a year from now",
            code="governance.invalid-deadline",
            errors=[FieldError("deadline", "between one day and 366 days from now")],
        )


def _check_decidable(consultation: Consultation, now: datetime) -> None:
    if consultation.decided_at is not None:
        raise Conflict(
            f"consultation {consultation.id} was decided already",
            code="governance.consultation-decided",
        )
    if now < consultation.deadline_at:
        raise Conflict(
            f"consultation {consultation.id} is open until {rfc3339(consultation.deadline_at)}",
            code="governance.consultation-open",
            hint="decide after the deadline, once every response is in",
        )


def _effective(effective_at: datetime | None, now: datetime) -> datetime:
    when = effective_at or now
    if when.tzinfo is None or when < now:
        raise InvalidInput(
            "the effective date cannot be before the decision",
            code="governance.invalid-decision",
            errors=[FieldError("effective_at", "now or later (UTC)")],
        )
    return when


def _next_number(session: Session, kind: PolicyKind) -> int:
    current = session.scalar(select(func.max(Policy.number)).where(Policy.kind == kind.value))
    return (current or 0) + 1


def _require(actor: Principal, permission: Permission) -> None:
    if not actor.can(permission):
        raise Forbidden(
            f"this needs the permission {permission.value}",
            code="forbidden",
            extra={"permission": permission.value},
        )

"""Data access committees: the review queue, votes, quorum, conflicts of interest, settings.

A committee is the set of people holding the committee role for a dataset (node-wide, for its
organisation, or for the dataset itself). Each member's decision is a vote with written
reasons; a request is decided once ``quorum`` votes agree (one member by default, or N of the M
members when the organisation or dataset sets a quorum). A member from the requester's
organisation cannot vote (conflict of interest). Referred requests carry the agreement's
deadline and are flagged overdue after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.access import authority, outcomes, requests
from accord.access.models import (
    PENDING_STATES,
    AccessRequest,
    CommitteeSettings,
    Decider,
    RequestState,
    Vote,
)
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.i18n.translate import N_, _l
from accord.identity.permissions import Permission, ScopeKind
from accord.identity.principal import Principal
from accord.ids import new_id
from accord.node import node_of

DEFAULT_QUORUM = 1


@dataclass(frozen=True)
class Standing:
    """Where a referred request stands with its committee."""

    quorum: int
    members: int
    approvals: int
    denials: int


def queue(session: Session, member: Principal, *, limit: int = 200) -> Sequence[AccessRequest]:
    """Pending requests of the datasets ``member`` reviews, oldest deadline first."""
    scope = authority.scope_filter(
        member,
        Permission.ACCESS_REQUEST_REVIEW,
        AccessRequest.dataset_organisation_id,
        AccessRequest.dataset_id,
    )
    query = (
        select(AccessRequest)
        .where(AccessRequest.state.in_([s.value for s in PENDING_STATES]))
        .order_by(AccessRequest.deadline_at, AccessRequest.id)
        .limit(limit)
    )
    query = query.where(scope)
    return session.scalars(query).all()


def standing(session: Session, request: AccessRequest) -> Standing:
    members = authority.committee_members(
        session, request.dataset_organisation_id, request.dataset_id
    )
    return Standing(
        quorum=quorum_for(session, request.dataset_organisation_id, request.dataset_id),
        members=len(members),
        approvals=sum(1 for v in request.votes if v.outcome == "approve"),
        denials=sum(1 for v in request.votes if v.outcome == "deny"),
    )


def recommendation(request: AccessRequest) -> str:
    """The engine's advice: ``permit`` when only the committee's own review referred the
    request (every other condition is met), else its outcome."""
    if request.engine_outcome != "refer":
        return request.engine_outcome
    referring = {r["code"] for r in request.engine_reasons if r["effect"] == "refer"}
    return "permit" if referring <= {"committee.review"} else "refer"


def vote(
    session: Session,
    member: Principal,
    request_id: str,
    outcome: str,
    reasons: str,
    conditions: list[str],
) -> AccessRequest:
    """Record ``member``'s decision; decide the request once the quorum agrees."""
    request = requests.get_request(session, member, request_id)
    _check_may_vote(member, request)
    if any(v.member_id == member.user_id for v in request.votes):
        raise Conflict(N_("you have decided on this request already"), code="access.already-voted")
    now = node_of(session).clock.now()
    request.votes.append(
        Vote(
            id=new_id("vot"),
            request_id=request.id,
            member_id=member.user_id,
            outcome=outcome,
            reasons=reasons,
            conditions=conditions,
            created_at=now,
        )
    )
    ledger.append(
        session,
        ledger.Event(
            "access.vote.cast",
            subjects={"actor": member.user_id},
            public={"request": request.id, "outcome": outcome},
            record={"reasons": reasons, "conditions": conditions},
        ),
    )
    _decide_if_quorate(session, member, request)
    return request


def _check_may_vote(member: Principal, request: AccessRequest) -> None:
    authority.require(
        member,
        Permission.ACCESS_REQUEST_DECIDE,
        request.dataset_organisation_id,
        request.dataset_id,
        code="access.not-committee",
        message="only members of the dataset's committee decide its requests",
    )
    if authority.conflicted(member, request.requester_id, request.requester_organisation_id):
        raise Forbidden(
            N_("you are from the requester's organisation: another member must decide"),
            code="access.conflict-of-interest",
        )
    if request.state == RequestState.CLARIFICATION:
        raise Conflict(
            _l("request %(request_id)s awaits the requester's answer", request_id=request.id),
            code="access.awaiting-clarification",
        )
    if request.state != RequestState.REFERRED:
        raise Conflict(
            _l(
                "request %(request_id)s is %(state)s: it is not before the committee",
                request_id=request.id,
                state=request.state,
            ),
            code="access.request-not-pending",
        )


def _decide_if_quorate(session: Session, member: Principal, request: AccessRequest) -> None:
    now = standing(session, request)
    approving = [v for v in request.votes if v.outcome == "approve"]
    denying = [v for v in request.votes if v.outcome == "deny"]
    if len(approving) >= now.quorum:
        conditions = list(dict.fromkeys(c for v in approving for c in v.conditions))
        outcomes.approve(
            session,
            request,
            Decider.COMMITTEE,
            member.user_id,
            reasons=" ".join(v.reasons for v in approving),
            conditions=conditions,
            mode=request.engine_mode if request.engine_mode != "none" else request.mode,
        )
    elif len(denying) >= now.quorum:
        outcomes.deny(
            session,
            request,
            Decider.COMMITTEE,
            member.user_id,
            " ".join(v.reasons for v in denying),
        )


# --- settings ------------------------------------------------------------------------------------


def quorum_for(session: Session, organisation_id: str, dataset_id: str) -> int:
    """The dataset's own quorum, else its organisation's, else one member."""
    rows = session.scalars(
        select(CommitteeSettings).where(
            CommitteeSettings.scope_id.in_([dataset_id, organisation_id])
        )
    ).all()
    by_scope = {row.scope_id: row.quorum for row in rows}
    return by_scope.get(dataset_id) or by_scope.get(organisation_id) or DEFAULT_QUORUM


def scope_of(scope_id: str) -> ScopeKind:
    if scope_id.startswith("org_"):
        return ScopeKind.ORGANISATION
    if scope_id.startswith("ds_"):
        return ScopeKind.DATASET
    raise InvalidInput(
        _l(
            "%(scope_id)r is neither an organisation (org_…) nor a dataset (ds_…)",
            scope_id=scope_id[:60],
        ),
        code="access.committee-scope",
    )


def configure(
    session: Session, actor: Principal, scope_id: str, organisation_id: str, quorum: int
) -> CommitteeSettings:
    """Set the quorum of the committee for an organisation or one of its datasets."""
    kind = scope_of(scope_id)
    dataset_id = scope_id if kind is ScopeKind.DATASET else None
    if not actor.can(
        Permission.ACCESS_COMMITTEE_CONFIGURE,
        organisation_id=organisation_id,
        dataset_id=dataset_id,
    ):
        raise Forbidden(
            N_("only stewards of the organisation set its committee's quorum"),
            code="access.not-steward",
        )
    now = node_of(session).clock.now()
    row = session.scalar(select(CommitteeSettings).where(CommitteeSettings.scope_id == scope_id))
    if row is None:
        row = CommitteeSettings(
            id=new_id("dac"),
            scope_kind=kind.value,
            scope_id=scope_id,
            quorum=quorum,
            updated_at=now,
        )
        session.add(row)
    row.quorum = quorum
    row.updated_at = now
    ledger.append(
        session,
        ledger.Event(
            "access.committee.configured",
            subjects={"actor": actor.user_id},
            public={"scope_kind": kind.value, "scope": scope_id, "quorum": quorum},
        ),
    )
    return row

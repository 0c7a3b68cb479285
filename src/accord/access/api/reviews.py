"""The committee's side: the review queue, decisions (votes), and committee settings."""

from __future__ import annotations

from fastapi import APIRouter

from accord.access import committee, documents, duties, schemas
from accord.access.api.common import PREFIX, Configurer, Decider, Reader, Reviewer
from accord.access.authority import committee_members, scope_filter
from accord.access.models import Grant
from accord.catalog import service as catalog
from accord.identity import service as identity
from accord.identity.permissions import Permission
from accord.node import node_of
from accord.web.deps import SessionDep

router = APIRouter(prefix=PREFIX, tags=["access"])


@router.get("/reviews", response_model=schemas.QueueOut)
def review_queue(session: SessionDep, principal: Reviewer) -> schemas.QueueOut:
    """Pending requests of the datasets you review, with the engine's recommendation and
    reasons, deadlines and overdue flags, and the overdue duties of their grants."""
    now = node_of(session).clock.now()
    items = [
        documents.queue_item(session, r, principal) for r in committee.queue(session, principal)
    ]
    scope = scope_filter(
        principal, Permission.ACCESS_REQUEST_REVIEW, Grant.dataset_organisation_id, Grant.dataset_id
    )
    overdue = duties.overdue_duties(session, now, scope)
    return schemas.QueueOut(
        items=items, overdue_duties=[documents.duty_out(d, now) for d in overdue]
    )


@router.post("/requests/{request_id}/decision", response_model=schemas.RequestOut)
def decide_request(
    request_id: str, body: schemas.VoteIn, session: SessionDep, principal: Decider
) -> schemas.RequestOut:
    """A committee member approves (with conditions) or denies, with written reasons; the
    request is decided once the committee's quorum agrees."""
    request = committee.vote(
        session, principal, request_id, body.outcome, body.reasons, body.conditions
    )
    session.commit()
    return documents.request_out(session, request, principal)


@router.get("/committees/{scope_id}", response_model=schemas.CommitteeOut)
def get_committee(scope_id: str, session: SessionDep, principal: Reader) -> schemas.CommitteeOut:
    """The committee of an organisation (``org_…``) or a dataset (``ds_…``): quorum, members."""
    organisation_id, dataset_id = _scope_owner(session, scope_id)
    members = committee_members(session, organisation_id, dataset_id or "")
    return schemas.CommitteeOut(
        scope_kind=committee.scope_of(scope_id).value,
        scope_id=scope_id,
        quorum=committee.quorum_for(session, organisation_id, dataset_id or ""),
        members=members,
    )


@router.put("/committees/{scope_id}", response_model=schemas.CommitteeOut)
def configure_committee(
    scope_id: str, body: schemas.CommitteeIn, session: SessionDep, principal: Configurer
) -> schemas.CommitteeOut:
    """Set the quorum: 1 (any one member decides) or N (N members must agree)."""
    organisation_id, dataset_id = _scope_owner(session, scope_id)
    committee.configure(session, principal, scope_id, organisation_id, body.quorum)
    session.commit()
    members = committee_members(session, organisation_id, dataset_id or "")
    return schemas.CommitteeOut(
        scope_kind=committee.scope_of(scope_id).value,
        scope_id=scope_id,
        quorum=body.quorum,
        members=members,
    )


def _scope_owner(session: SessionDep, scope_id: str) -> tuple[str, str | None]:
    """The organisation owning the scope, and the dataset when the scope is one."""
    if committee.scope_of(scope_id).value == "dataset":
        return catalog.get_dataset(session, scope_id).organisation_id, scope_id
    return identity.get_organisation(session, scope_id).id, None

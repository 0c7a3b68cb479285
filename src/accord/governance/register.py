"""The public governance register: who sits on each committee and on the review body, for
which scope, for what term, with which declared interests.

A seat is the committee or reviewer role (held in identity, which the access workflow reads)
plus what the register publishes about it. Appointing grants the role and opens the seat;
ending a term closes the seat and removes the role; declarations of interest are updated in
place. Each change is a ledger event. Role holders appointed outside the register still appear,
marked as having no declared term.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from accord.governance.models import Membership
from accord.identity import schemas as identity_schemas
from accord.identity import service as identity
from accord.identity.models import RoleAssignment, User
from accord.identity.permissions import Permission, Role, ScopeKind
from accord.identity.principal import Principal
from accord.ids import has_prefix, new_id
from accord.node import node_of

MAX_INTERESTS = 50


class Body(StrEnum):
    COMMITTEE = "committee"
    REVIEW_BODY = "review-body"

    @property
    def role(self) -> Role:
        return Role.COMMITTEE if self is Body.COMMITTEE else Role.REVIEWER


@dataclass(frozen=True)
class Seat:
    body: Body
    scope_kind: ScopeKind
    scope_id: str
    term_start: date
    term_end: date
    interests: tuple[str, ...]


def appoint(session: Session, actor: Principal, user_id: str, seat: Seat) -> Membership:
    """Give ``user_id`` a seat: grant the body's role in the scope and publish the term."""
    _require(actor)
    _check_seat(seat)
    user = identity.get_user(session, user_id)
    if _open_seat(session, user.id, seat) is not None:
        raise Conflict(
            f"{user.name} sits on this {seat.body} already", code="governance.member-exists"
        )
    assignment = _assignment(user, seat) or _grant(session, actor, user, seat)
    row = Membership(
        id=new_id("mbr"),
        user_id=user.id,
        body=seat.body.value,
        scope_kind=seat.scope_kind.value,
        scope_id=seat.scope_id,
        role_assignment_id=assignment.id,
        term_start=seat.term_start,
        term_end=seat.term_end,
        interests=list(seat.interests),
        appointed_by=actor.user_id,
        appointed_at=node_of(session).clock.now(),
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        ledger.Event(
            "governance.member.appointed",
            subjects={"actor": actor.user_id, "member": user.id},
            public={
                "membership": row.id,
                "body": seat.body.value,
                "scope_kind": seat.scope_kind.value,
                "scope": seat.scope_id,
                "term_start": seat.term_start.isoformat(),
                "term_end": seat.term_end.isoformat(),
            },
            record={"interests": list(seat.interests)},
        ),
    )
    return row


def end_term(session: Session, actor: Principal, membership_id: str, reason: str) -> Membership:
    """Close a seat (term over, resignation, removal) and remove the role it carried."""
    _require(actor)
    row = get_membership(session, membership_id)
    if row.ended_at is not None:
        raise Conflict(f"membership {row.id} has ended already", code="governance.member-ended")
    text = reason.strip()
    if len(text) < 5:
        raise InvalidInput(
            "say why the membership ends",
            code="governance.invalid-reason",
            errors=[FieldError("reason", "at least 5 characters")],
        )
    user = identity.get_user(session, row.user_id)
    if any(r.id == row.role_assignment_id for r in user.roles):
        identity.remove_role(session, actor, user.id, str(row.role_assignment_id))
    row.ended_at, row.end_reason = node_of(session).clock.now(), text
    ledger.append(
        session,
        ledger.Event(
            "governance.member.left",
            subjects={"actor": actor.user_id, "member": user.id},
            public={"membership": row.id, "body": row.body, "scope": row.scope_id},
            record={"reason": text},
        ),
    )
    return row


def declare_interests(
    session: Session, actor: Principal, membership_id: str, interests: list[str]
) -> Membership:
    """The member (or an admin) updates the interests the register declares."""
    row = get_membership(session, membership_id)
    if actor.user_id != row.user_id and not actor.can(Permission.GOVERNANCE_REGISTER_MANAGE):
        raise Forbidden("only the member or an admin declares these interests", code="forbidden")
    row.interests = _clean_interests(interests)
    ledger.append(
        session,
        ledger.Event(
            "governance.interests.declared",
            subjects={"actor": actor.user_id, "member": row.user_id},
            public={"membership": row.id, "count": len(row.interests)},
            record={"interests": row.interests},
        ),
    )
    return row


def get_membership(session: Session, membership_id: str) -> Membership:
    found = session.get(Membership, membership_id) if has_prefix(membership_id, "mbr") else None
    if found is None:
        raise NotFound(f"no membership {membership_id[:60]!r}", code="governance.member-not-found")
    return found


@dataclass(frozen=True)
class Entry:
    """One line of the public register."""

    membership_id: str | None
    body: str
    scope_kind: str
    scope_id: str
    name: str
    organisation: str | None
    term_start: date | None
    term_end: date | None
    interests: list[str]
    ended_at: datetime | None
    end_reason: str | None


def entries(session: Session, *, include_past: bool = True) -> list[Entry]:
    """Every seat (past ones too), then role holders the register has no seat for."""
    seats = session.scalars(select(Membership).order_by(Membership.body, Membership.id)).all()
    holders = session.scalars(
        select(RoleAssignment).where(RoleAssignment.role.in_([Role.COMMITTEE, Role.REVIEWER]))
    ).all()
    wanted = {row.user_id for row in seats} | {held.user_id for held in holders}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
    found = [
        _entry(row, users[row.user_id]) for row in seats if include_past or row.ended_at is None
    ]
    seated = {row.role_assignment_id for row in seats if row.ended_at is None}
    for held in holders:
        if held.id not in seated and users[held.user_id].status == "active":
            found.append(_undeclared(held, users[held.user_id]))
    return sorted(found, key=lambda e: (e.body, e.scope_id, e.ended_at is not None, e.name))


def _entry(row: Membership, user: User) -> Entry:
    return Entry(
        row.id,
        row.body,
        row.scope_kind,
        row.scope_id,
        user.name,
        user.organisation.name if user.organisation else None,
        row.term_start,
        row.term_end,
        list(row.interests),
        row.ended_at,
        row.end_reason,
    )


def _undeclared(held: RoleAssignment, user: User) -> Entry:
    body = Body.COMMITTEE if held.role == Role.COMMITTEE else Body.REVIEW_BODY
    organisation = user.organisation.name if user.organisation else None
    return Entry(
        None,
        body.value,
        held.scope_kind,
        held.scope_id,
        user.name,
        organisation,
        None,
        None,
        [],
        None,
        None,
    )


def _grant(session: Session, actor: Principal, user: User, seat: Seat) -> RoleAssignment:
    identity.add_role(
        session,
        actor,
        user.id,
        identity_schemas.RoleAdd(
            role=seat.body.role, scope_kind=seat.scope_kind, scope_id=seat.scope_id
        ),
    )
    session.flush()
    found = _assignment(user, seat)
    assert found is not None
    return found


def _assignment(user: User, seat: Seat) -> RoleAssignment | None:
    scope_id = seat.scope_id if seat.scope_kind is not ScopeKind.NODE else ""
    return next(
        (
            r
            for r in user.roles
            if r.role == seat.body.role
            and r.scope_kind == seat.scope_kind
            and r.scope_id == scope_id
        ),
        None,
    )


def _open_seat(session: Session, user_id: str, seat: Seat) -> Membership | None:
    stmt = select(Membership).where(
        Membership.user_id == user_id,
        Membership.body == seat.body.value,
        Membership.scope_kind == seat.scope_kind.value,
        Membership.scope_id == seat.scope_id,
        Membership.ended_at.is_(None),
    )
    return session.scalars(stmt).first()


def _check_seat(seat: Seat) -> None:
    if seat.term_end <= seat.term_start:
        raise InvalidInput(
            "a term ends after it starts",
            code="governance.invalid-term",
            errors=[FieldError("term_end", "after term_start")],
        )
    if seat.scope_kind is not ScopeKind.NODE and not seat.scope_id:
        raise InvalidInput(
            "a scoped seat needs the id of its organisation or dataset",
            code="governance.invalid-scope",
            errors=[FieldError("scope_id", "required when scope_kind is not node")],
        )
    _clean_interests(list(seat.interests))


def _clean_interests(interests: list[str]) -> list[str]:
    cleaned = [i.strip() for i in interests if i.strip()]
    if len(cleaned) > MAX_INTERESTS or any(len(i) > 500 for i in cleaned):
        raise InvalidInput(
            f"up to {MAX_INTERESTS} interests of up to 500 characters each",
            code="governance.invalid-interests",
            errors=[FieldError("interests", "too many or too long")],
        )
    return cleaned


def _require(actor: Principal) -> None:
    if not actor.can(Permission.GOVERNANCE_REGISTER_MANAGE):
        raise Forbidden(
            f"this needs the permission {Permission.GOVERNANCE_REGISTER_MANAGE.value}",
            code="forbidden",
        )

"""Who may act on which access object (DESIGN.md rule 5: objects are checked in services).

Committee members and the review body hold their roles node-wide or scoped to an organisation
or a dataset; a scoped role counts for the requests, grants and breach reports of datasets
inside its scope. Objects a caller may not see are ``NotFound`` (no existence leak); objects
they may see but not act on are ``Forbidden`` with the reason.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.errors import Forbidden
from accord.identity.models import RoleAssignment, User
from accord.identity.permissions import Permission, Role, ScopeKind
from accord.identity.principal import OPERATOR_ID, Principal


def may(
    principal: Principal, permission: Permission, organisation_id: str, dataset_id: str
) -> bool:
    """Does ``principal`` hold ``permission`` for objects of this dataset?"""
    return principal.can(permission, organisation_id=organisation_id, dataset_id=dataset_id)


def require(
    principal: Principal,
    permission: Permission,
    organisation_id: str,
    dataset_id: str,
    *,
    code: str,
    message: str,
) -> None:
    if not may(principal, permission, organisation_id, dataset_id):
        raise Forbidden(message, code=code, extra={"permission": permission.value})


def scope_filter(
    principal: Principal,
    permission: Permission,
    organisation_column: InstrumentedAttribute[str],
    dataset_column: InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of datasets where ``principal`` holds ``permission``
    (every row when it is held node-wide, none when it is held nowhere)."""
    if principal.can(permission):
        return true()
    organisations = _scopes(principal, permission, ScopeKind.ORGANISATION)
    datasets = _scopes(principal, permission, ScopeKind.DATASET)
    return or_(false(), organisation_column.in_(organisations), dataset_column.in_(datasets))


def _scopes(principal: Principal, permission: Permission, kind: ScopeKind) -> list[str]:
    return [
        grant.scope_id
        for grant in principal.roles
        if grant.scope_kind is kind
        and principal.can(
            permission,
            organisation_id=grant.scope_id if kind is ScopeKind.ORGANISATION else None,
            dataset_id=grant.scope_id if kind is ScopeKind.DATASET else None,
        )
    ]


def committee_members(session: Session, organisation_id: str, dataset_id: str) -> list[str]:
    """Ids of the active users holding the committee role for this dataset (node-wide or
    scoped to its organisation or to the dataset itself)."""
    in_scope = or_(
        RoleAssignment.scope_kind == ScopeKind.NODE,
        (RoleAssignment.scope_kind == ScopeKind.ORGANISATION)
        & (RoleAssignment.scope_id == organisation_id),
        (RoleAssignment.scope_kind == ScopeKind.DATASET) & (RoleAssignment.scope_id == dataset_id),
    )
    return list(
        session.scalars(
            select(User.id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.COMMITTEE, User.status == "active", in_scope)
            .distinct()
            .order_by(User.id)
        )
    )


def conflicted(
    principal: Principal, requester_id: str, requester_organisation_id: str | None
) -> bool:
    """A member from the requester's organisation (or the requester) cannot decide."""
    if principal.user_id == requester_id:
        return True
    return (
        principal.user_id != OPERATOR_ID
        and requester_organisation_id is not None
        and principal.organisation_id == requester_organisation_id
    )

"""Who is acting: the authenticated user with their roles, or the node's local operator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from accord.identity.permissions import (
    BASELINE,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    ScopeKind,
)

Via = Literal["token", "session", "local"]
OPERATOR_ID = "operator"


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    scope_kind: ScopeKind = ScopeKind.NODE
    scope_id: str = ""


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    organisation_id: str | None
    country: str | None
    roles: tuple[RoleGrant, ...]
    via: Via
    token_scopes: frozenset[str] | None = None
    csrf_token: str | None = field(default=None, repr=False)
    language: str | None = None
    """The account's language (None: the browser's), for answers that name no language."""

    def can(
        self,
        permission: Permission,
        *,
        organisation_id: str | None = None,
        dataset_id: str | None = None,
    ) -> bool:
        """May this principal use ``permission`` (on an object in the given scope)?"""
        if permission is Permission.PUBLIC:
            return True
        if self.token_scopes is not None and permission.value not in self.token_scopes:
            return False
        if permission in BASELINE:
            return True
        return any(
            permission in ROLE_PERMISSIONS[grant.role]
            and _in_scope(grant, organisation_id, dataset_id)
            for grant in self.roles
        )

    def can_anywhere(self, permission: Permission) -> bool:
        """Does any role (node-wide or scoped) carry ``permission``? Used by route guards."""
        if permission is Permission.PUBLIC:
            return True
        if self.token_scopes is not None and permission.value not in self.token_scopes:
            return False
        return permission in BASELINE or any(
            permission in ROLE_PERMISSIONS[grant.role] for grant in self.roles
        )

    def has_role(self, role: Role) -> bool:
        return any(grant.role is role for grant in self.roles)

    @property
    def permissions(self) -> list[str]:
        held = set(BASELINE)
        for grant in self.roles:
            held |= ROLE_PERMISSIONS[grant.role]
        if self.token_scopes is not None:
            held = {p for p in held if p.value in self.token_scopes}
        return sorted(p.value for p in held)


def _in_scope(grant: RoleGrant, organisation_id: str | None, dataset_id: str | None) -> bool:
    if grant.scope_kind is ScopeKind.NODE:
        return True
    if grant.scope_kind is ScopeKind.ORGANISATION:
        return organisation_id is not None and grant.scope_id == organisation_id
    return dataset_id is not None and grant.scope_id == dataset_id


def local_operator() -> Principal:
    """Whoever runs the CLI on the node's own data dir: already holds every key, so every right."""
    return Principal(
        user_id=OPERATOR_ID,
        name="Node operator",
        organisation_id=None,
        country=None,
        roles=(RoleGrant(Role.ADMIN),),
        via="local",
    )

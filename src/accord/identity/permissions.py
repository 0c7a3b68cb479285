"""Permissions (``<domain>:<resource>:<action>``) and the roles that hold them, as data.

Every route declares exactly one permission (``Permission.PUBLIC`` for open routes); object checks
(is this your grant?) happen in the services. Roles may be held node-wide or scoped to an
organisation or a dataset; a scoped role only counts for objects inside its scope.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    PUBLIC = "public"
    SIGNED_IN = "identity:self:read"

    USER_READ = "identity:user:read"
    USER_CREATE = "identity:user:create"
    USER_UPDATE = "identity:user:update"
    ORG_READ = "identity:organisation:read"
    ORG_CREATE = "identity:organisation:create"
    TOKEN_CREATE = "identity:token:create"
    TOKEN_REVOKE = "identity:token:revoke"
    ACCREDITATION_GRANT = "identity:accreditation:grant"

    DATASET_CREATE = "catalog:dataset:create"
    DATASET_UPDATE = "catalog:dataset:update"
    VERSION_PUBLISH = "catalog:version:publish"
    VERSION_WITHDRAW = "catalog:version:withdraw"
    FILE_UPLOAD = "catalog:file:upload"
    TERMS_ACCEPT = "catalog:terms:accept"

    AGREEMENT_AUTHOR = "agreements:agreement:author"
    AGREEMENT_PUBLISH = "agreements:agreement:publish"
    AGREEMENT_CHECK = "agreements:decision:check"

    LOG_READ_PRIVATE = "ledger:record:read"
    NODE_ADMIN = "ops:node:admin"


class Role(StrEnum):
    ADMIN = "admin"
    STEWARD = "steward"
    RESEARCHER = "researcher"
    COMMITTEE = "committee"
    REVIEWER = "reviewer"
    OUTPUT_CHECKER = "output-checker"
    AUDITOR = "auditor"


class ScopeKind(StrEnum):
    NODE = "node"
    ORGANISATION = "organisation"
    DATASET = "dataset"


_SIGNED_IN = frozenset(
    {
        Permission.SIGNED_IN,
        Permission.TOKEN_CREATE,
        Permission.TOKEN_REVOKE,
        Permission.TERMS_ACCEPT,
        Permission.AGREEMENT_CHECK,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.PUBLIC},
    Role.STEWARD: _SIGNED_IN
    | {
        Permission.DATASET_CREATE,
        Permission.DATASET_UPDATE,
        Permission.VERSION_PUBLISH,
        Permission.VERSION_WITHDRAW,
        Permission.FILE_UPLOAD,
        Permission.AGREEMENT_AUTHOR,
        Permission.AGREEMENT_PUBLISH,
        Permission.ORG_READ,
    },
    Role.RESEARCHER: _SIGNED_IN,
    Role.COMMITTEE: _SIGNED_IN | {Permission.ORG_READ},
    Role.REVIEWER: _SIGNED_IN | {Permission.ORG_READ, Permission.LOG_READ_PRIVATE},
    Role.OUTPUT_CHECKER: _SIGNED_IN,
    Role.AUDITOR: _SIGNED_IN | {Permission.LOG_READ_PRIVATE, Permission.ORG_READ},
}
"""What each role may do. Every active user also holds the signed-in permissions."""

BASELINE = _SIGNED_IN

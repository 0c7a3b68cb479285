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

    ACCESS_REQUEST_SUBMIT = "access:request:submit"
    ACCESS_REQUEST_READ = "access:request:read"
    ACCESS_REQUEST_MESSAGE = "access:request:message"
    ACCESS_REQUEST_REVIEW = "access:request:review"
    ACCESS_REQUEST_DECIDE = "access:request:decide"
    ACCESS_COMMITTEE_CONFIGURE = "access:committee:configure"
    ACCESS_GRANT_READ = "access:grant:read"
    ACCESS_GRANT_REVOKE = "access:grant:revoke"
    ACCESS_DUTY_FULFIL = "access:duty:fulfil"
    ACCESS_APPEAL_FILE = "access:appeal:file"
    ACCESS_APPEAL_DECIDE = "access:appeal:decide"
    ACCESS_BREACH_REPORT = "access:breach:report"
    ACCESS_BREACH_INVESTIGATE = "access:breach:investigate"
    ACCESS_SANCTION_READ = "access:sanction:read"
    ACCESS_SANCTION_IMPOSE = "access:sanction:impose"
    ACCESS_NOTIFICATION_READ = "access:notification:read"

    DERIVATION_PLAN = "deid:derivation:plan"
    DERIVATION_CREATE = "deid:derivation:create"
    DERIVATION_KEY_DESTROY = "deid:key:destroy"

    SANDBOX_JOB_SUBMIT = "sandbox:job:submit"
    SANDBOX_JOB_READ = "sandbox:job:read"
    SANDBOX_OUTPUT_REVIEW = "sandbox:output:review"

    FEDERATION_PEER_MANAGE = "federation:peer:manage"
    FEDERATION_HARVEST_RUN = "federation:harvest:run"
    FEDERATION_WITNESS_RUN = "federation:witness:run"
    FEDERATION_MIRROR_MANAGE = "federation:mirror:manage"

    GOVERNANCE_RISK_ASSESS = "governance:assessment:create"
    GOVERNANCE_POLICY_PROPOSE = "governance:policy:propose"
    GOVERNANCE_POLICY_DECIDE = "governance:policy:decide"
    GOVERNANCE_CONSULTATION_COMMENT = "governance:consultation:comment"
    GOVERNANCE_PEER_RESPOND = "governance:consultation:respond-for-node"
    GOVERNANCE_REGISTER_MANAGE = "governance:register:manage"

    REPORT_FIGURES_READ = "reports:figure:read"
    REPORT_PUBLISH = "reports:transparency:publish"
    REPORT_THRESHOLDS_SET = "reports:threshold:set"

    LOG_READ_PRIVATE = "ledger:record:read"
    NODE_ADMIN = "ops:node:admin"
    METRICS_READ = "ops:metrics:read"


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
        Permission.ACCESS_REQUEST_READ,
        Permission.ACCESS_REQUEST_MESSAGE,
        Permission.ACCESS_GRANT_READ,
        Permission.ACCESS_APPEAL_FILE,
        Permission.ACCESS_BREACH_REPORT,
        Permission.ACCESS_SANCTION_READ,
        Permission.ACCESS_NOTIFICATION_READ,
        Permission.GOVERNANCE_CONSULTATION_COMMENT,
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
        Permission.ACCESS_COMMITTEE_CONFIGURE,
        Permission.DERIVATION_PLAN,
        Permission.DERIVATION_CREATE,
        Permission.DERIVATION_KEY_DESTROY,
        Permission.GOVERNANCE_RISK_ASSESS,
    },
    Role.RESEARCHER: _SIGNED_IN
    | {
        Permission.ACCESS_REQUEST_SUBMIT,
        Permission.ACCESS_DUTY_FULFIL,
        Permission.SANDBOX_JOB_SUBMIT,
        Permission.SANDBOX_JOB_READ,
    },
    Role.COMMITTEE: _SIGNED_IN
    | {
        Permission.ORG_READ,
        Permission.ACCESS_REQUEST_REVIEW,
        Permission.ACCESS_REQUEST_DECIDE,
        Permission.ACCESS_GRANT_REVOKE,
        Permission.REPORT_FIGURES_READ,
    },
    Role.REVIEWER: _SIGNED_IN
    | {
        Permission.ORG_READ,
        Permission.LOG_READ_PRIVATE,
        Permission.ACCESS_APPEAL_DECIDE,
        Permission.ACCESS_BREACH_INVESTIGATE,
        Permission.ACCESS_SANCTION_IMPOSE,
        Permission.ACCESS_GRANT_REVOKE,
        Permission.REPORT_FIGURES_READ,
    },
    Role.OUTPUT_CHECKER: _SIGNED_IN
    | {Permission.SANDBOX_JOB_READ, Permission.SANDBOX_OUTPUT_REVIEW},
    Role.AUDITOR: _SIGNED_IN
    | {
        Permission.LOG_READ_PRIVATE,
        Permission.ORG_READ,
        Permission.METRICS_READ,
        Permission.REPORT_FIGURES_READ,
    },
}
"""What each role may do. Every active user also holds the signed-in permissions."""

BASELINE = _SIGNED_IN

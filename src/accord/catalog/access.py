"""Who may fetch a version's bytes: one function, ``may_download``, returning a ``Decision``.

The tiers (DESIGN.md, Tiers): open → anyone; registered → a signed-in user who accepted the
dataset's terms of use; controlled → a grant (the access domain plugs its grants in here);
restricted → never leaves the node (sandbox only). Withdrawn versions keep their bytes but
nobody downloads them. Stewards of the dataset may fetch their own drafts and versions, except
restricted data, which no one downloads.

``may_download`` decides and explains; ``require_download`` turns a refusal into the error a
client sees, with a hint saying how to get access.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access.service import check_download
from accord.catalog.metadata import Tier
from accord.catalog.models import DatasetVersion, TermsAcceptance, VersionState
from accord.errors import AccordError, Forbidden, Gone, NotFound, Unauthenticated
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import node_of

DEFAULT_TERMS = (
    "I will use these data for research only, cite the dataset as shown on its page, keep the "
    "data secure, not attempt to identify any person in them, and not pass them on to others."
)


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class Reason:
    """Why: a stable code, the rule (``clause``) that produced it, and words for people."""

    code: str
    clause: str
    message: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    obligations: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


def may_download(
    session: Session, principal: Principal | None, version: DatasetVersion
) -> Decision:
    """Decide whether ``principal`` may fetch the bytes of ``version``.

    This is the one place where download rights are decided; grants (controlled tier) plug in
    at ``_controlled``.
    """
    tier = Tier(version.tier)
    if version.state == VersionState.WITHDRAWN:
        return _deny("catalog.version-withdrawn", "state:withdrawn", "this version was withdrawn")
    if tier is Tier.RESTRICTED:
        return _deny(
            "catalog.sandbox-only",
            "tier:restricted",
            "restricted data never leave the node: they are analysed in the sandbox only",
        )
    if is_steward(principal, version):
        return _allow("catalog.steward", "role:steward", "you steward this dataset")
    if version.state == VersionState.DRAFT:
        return _deny("catalog.version-draft", "state:draft", "this version is not published")
    if tier is Tier.OPEN:
        return _allow("catalog.open", "tier:open", "open data: anyone may download", version)
    if tier is Tier.REGISTERED:
        return _registered(session, principal, version)
    return _controlled(session, principal, version)


def require_download(
    session: Session, principal: Principal | None, version: DatasetVersion
) -> Decision:
    """``may_download``, raising the client-facing error when the answer is no."""
    decision = may_download(session, principal, version)
    if not decision.allowed:
        raise refusal(decision, version)
    return decision


def is_steward(principal: Principal | None, version: DatasetVersion) -> bool:
    """May ``principal`` edit this dataset (a steward role in its organisation or node-wide)?"""
    return principal is not None and principal.can(
        Permission.DATASET_UPDATE,
        organisation_id=version.dataset.organisation_id,
        dataset_id=version.dataset_id,
    )


def terms_of(version: DatasetVersion) -> str:
    terms = version.document.get("terms_of_use")
    return terms if isinstance(terms, str) and terms else DEFAULT_TERMS


def terms_digest(terms: str) -> str:
    return hashlib.sha256(terms.encode()).hexdigest()


def has_accepted(session: Session, user_id: str, version: DatasetVersion) -> bool:
    """Did the user accept the terms this version carries (the same text, by digest)?"""
    return (
        session.scalar(
            select(TermsAcceptance.id).where(
                TermsAcceptance.dataset_id == version.dataset_id,
                TermsAcceptance.user_id == user_id,
                TermsAcceptance.terms_sha256 == terms_digest(terms_of(version)),
            )
        )
        is not None
    )


def _registered(session: Session, principal: Principal | None, version: DatasetVersion) -> Decision:
    if principal is None:
        return _deny(
            "catalog.sign-in-required", "tier:registered", "registered data need a signed-in user"
        )
    if not has_accepted(session, principal.user_id, version):
        return _deny(
            "catalog.terms-not-accepted",
            "tier:registered",
            "accept the dataset's terms of use before downloading",
        )
    return _allow(
        "catalog.terms-accepted", "tier:registered", "you accepted the terms of use", version
    )


def _controlled(session: Session, principal: Principal | None, version: DatasetVersion) -> Decision:
    """Controlled data need an active download grant (``accord.access.service.check_download``)."""
    check = None
    if principal is not None:
        check = check_download(session, principal.user_id, version.id, node_of(session).clock.now())
        if check.allowed:
            return _allow(check.code, f"grant:{check.grant_id}", check.message, version)
    if check is not None and check.grant_id is not None:
        return _deny(check.code, f"grant:{check.grant_id}", check.message)
    return _deny(
        "catalog.grant-required",
        "tier:controlled",
        "controlled data need a grant: request access and a committee decides",
    )


def _allow(code: str, clause: str, message: str, version: DatasetVersion | None = None) -> Decision:
    obligations = () if version is None else (f"cite:{version.dataset_id}@v{version.number}",)
    licence = () if version is None else (f"licence:{version.licence}",)
    return Decision(Outcome.ALLOW, (Reason(code, clause, message),), obligations + licence)


def _deny(code: str, clause: str, message: str) -> Decision:
    return Decision(Outcome.DENY, (Reason(code, clause, message),))


def refusal(decision: Decision, version: DatasetVersion) -> AccordError:
    """The error a refused client gets: the status fits the reason, the hint says what to do."""
    reason = decision.reasons[0]
    ref = f"{version.dataset_id}@v{version.number}"
    extra: dict[str, object] = {
        "decision": {"outcome": decision.outcome.value, "reasons": [reason.code]}
    }
    if reason.code == "catalog.version-withdrawn":
        return Gone(
            f"{ref} was withdrawn: its files are kept but no longer downloadable",
            code=reason.code,
            hint=f"see /datasets/{version.dataset_id} for the current version",
            extra=extra,
        )
    if reason.code == "catalog.version-draft":
        return NotFound(f"no published version {ref}", code="catalog.version-not-found")
    if reason.code == "catalog.sign-in-required":
        return Unauthenticated(
            f"{ref} is registered-tier data: sign in and accept its terms to download",
            code=reason.code,
            hint="sign in (or send an API token), then accept the terms of use",
            extra=extra,
        )
    if reason.code == "catalog.terms-not-accepted":
        terms = f"/api/v1/datasets/{version.dataset_id}/terms"
        return Forbidden(
            f"accept the terms of use of {ref} before downloading",
            code=reason.code,
            hint=f"read GET {terms} and accept with POST {terms}/acceptance",
            extra={**extra, "terms": terms},
        )
    return _access_request_needed(reason, version, extra)


def _access_request_needed(
    reason: Reason, version: DatasetVersion, extra: dict[str, object]
) -> Forbidden:
    ref = f"{version.dataset_id}@v{version.number}"
    mode = "sandbox" if reason.code == "catalog.sandbox-only" else "download"
    return Forbidden(
        f"{ref} is {version.tier} data: {reason.message}",
        code=reason.code,
        hint=(
            f"request access at /access/requests/new?dataset={version.dataset_id}"
            f"&version={version.number} (or `accord request submit {version.dataset_id}`, or "
            "POST /api/v1/requests); the agreement's engine and its committee decide"
        ),
        extra={
            **extra,
            "access_request": {
                "href": "/api/v1/requests",
                "method": "POST",
                "dataset_id": version.dataset_id,
                "version": version.number,
                "mode": mode,
            },
        },
    )

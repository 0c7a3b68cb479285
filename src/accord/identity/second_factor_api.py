"""Sign-in factors: a user's TOTP key (status, hand-over, reset by an administrator; replaced by
its holder, decision 1317) and the identity providers linked to their account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from accord.identity import linking, schemas, service, signin, totp
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import NodeDep, SessionDep
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["identity"])
SignedIn = Annotated[Principal, Depends(require(Permission.SIGNED_IN))]


def _status(session: SessionDep, user_id: str) -> schemas.TotpStatusOut:
    status = totp.status(session, user_id)
    return schemas.TotpStatusOut(
        enrolled=status.enrolled,
        enrolled_at=status.enrolled_at,
        recovery_codes_left=status.recovery_codes_left,
    )


@router.get("/users/{user_id}/totp", response_model=schemas.TotpStatusOut)
def totp_status(
    user_id: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
) -> schemas.TotpStatusOut:
    return _status(session, service.get_user(session, user_id).id)


@router.post("/users/{user_id}/totp", status_code=201, response_model=schemas.TotpEnrolled)
def totp_enrol(
    user_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.TotpEnrolled:
    """Enrol a user at once and hand the key over (e.g. the first admin of a node that
    requires TOTP for admins); the key and recovery codes are shown once."""
    enrolment, codes = totp.enrol_for(session, principal, service.get_user(session, user_id))
    session.commit()
    return schemas.TotpEnrolled(
        secret=enrolment.secret, otpauth_uri=enrolment.uri, recovery_codes=codes
    )


@router.delete("/users/{user_id}/totp", response_model=schemas.TotpStatusOut)
def totp_reset(
    user_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_UPDATE))],
) -> schemas.TotpStatusOut:
    """Remove a user's key (a lost device); they enrol again at their next sign-in."""
    user = service.get_user(session, user_id)
    totp.reset(session, principal, user)
    session.commit()
    return _status(session, user.id)


@router.post("/me/totp/replacement", status_code=201, response_model=schemas.TotpReplacementOut)
def totp_replacement(
    body: schemas.TotpReplacementIn,
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: SignedIn,
) -> schemas.TotpReplacementOut:
    """A new key for your lost or new device, once your password and a current code (or a
    recovery code) are right; shown once. Confirm it with a code from the new app."""
    user = service.get_user(session, principal.user_id)
    try:
        enrolment = signin.start_totp_replacement(
            session,
            user,
            password=body.password,
            code=body.code,
            client=request.client.host if request.client else "unknown",
            policy=signin.policy_of(node.settings),
        )
    finally:
        session.commit()  # failures count towards the lockout; a recovery code is spent
    return schemas.TotpReplacementOut(
        secret=enrolment.secret,
        otpauth_uri=enrolment.uri,
        replacement=enrolment.sealed,
        expires_at=node.clock.now() + totp.REPLACEMENT_LIFETIME,
    )


@router.post("/me/totp/replacement/confirmation", response_model=schemas.TotpReplaced)
def totp_replacement_confirmation(
    body: schemas.TotpReplacementConfirm, session: SessionDep, principal: SignedIn
) -> schemas.TotpReplaced:
    """Put the new key in use with a code from the new app; new recovery codes, shown once."""
    user = service.get_user(session, principal.user_id)
    codes = totp.confirm_replacement(session, principal, user, body.replacement, body.code)
    session.commit()
    return schemas.TotpReplaced(recovery_codes=codes)


@router.get("/users/{user_id}/identities", response_model=list[schemas.IdentityLinkOut])
def identities(
    user_id: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
) -> list[schemas.IdentityLinkOut]:
    user = service.get_user(session, user_id)
    return [
        schemas.IdentityLinkOut.model_validate(link) for link in linking.links_of(session, user.id)
    ]

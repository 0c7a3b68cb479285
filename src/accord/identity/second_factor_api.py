"""Administration of sign-in factors: a user's TOTP key (status, hand-over, reset) and the
identity providers linked to their account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from accord.identity import linking, schemas, service, totp
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.web.deps import SessionDep
from accord.web.security import require

router = APIRouter(prefix="/api/v1/users/{user_id}", tags=["identity"])


def _status(session: SessionDep, user_id: str) -> schemas.TotpStatusOut:
    status = totp.status(session, user_id)
    return schemas.TotpStatusOut(
        enrolled=status.enrolled,
        enrolled_at=status.enrolled_at,
        recovery_codes_left=status.recovery_codes_left,
    )


@router.get("/totp", response_model=schemas.TotpStatusOut)
def totp_status(
    user_id: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
) -> schemas.TotpStatusOut:
    return _status(session, service.get_user(session, user_id).id)


@router.post("/totp", status_code=201, response_model=schemas.TotpEnrolled)
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


@router.delete("/totp", response_model=schemas.TotpStatusOut)
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


@router.get("/identities", response_model=list[schemas.IdentityLinkOut])
def identities(
    user_id: str,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
) -> list[schemas.IdentityLinkOut]:
    user = service.get_user(session, user_id)
    return [
        schemas.IdentityLinkOut.model_validate(link) for link in linking.links_of(session, user.id)
    ]

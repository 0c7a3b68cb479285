"""Accounts behind an OpenID Connect sign-in: claims mapped to a user, and the linking policy.

A verified sign-in (issuer + subject) finds its user through ``identity_links``. The first sign-in
of a subject is linked or creates an account (decision 1301):

1. started from a signed-in account page: linked to that account;
2. the IdP is trusted for ORCID iDs (``link_on`` has ``orcid``) and one account holds the iD;
3. the IdP is trusted for email (``link_on`` has ``email``), the email is verified
   (``email_verified``) and one account holds it;
4. otherwise a new account, unless the email or ORCID iD belongs to an account already (that
   person signs in as before and links the IdP from their account page).

At every sign-in the account follows what the IdP asserts now: the roles granted by its
entitlements, and the name, verified email, organisation (ROR id) and country it shares
(decision 1315).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.config import OidcProvider
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.i18n.translate import N_, _l
from accord.identifiers import normalise_country, normalise_orcid, normalise_ror
from accord.identity import schemas, service
from accord.identity.models import IdentityLink, Organisation, RoleAssignment, User
from accord.identity.passwords import hash_password
from accord.identity.permissions import Role
from accord.identity.principal import Principal, RoleGrant
from accord.identity.secrets import new_secret
from accord.ids import new_id
from accord.node import node_of


@dataclass(frozen=True)
class ExternalProfile:
    """What an IdP says about the person, through the provider's claim mapping."""

    subject: str
    name: str | None
    email: str | None
    email_verified: bool
    orcid: str | None
    ror: str | None
    affiliation: str | None
    country: str | None
    roles: frozenset[Role]


def profile_from_claims(provider: OidcProvider, claims: dict[str, Any]) -> ExternalProfile:
    """Map claims to a profile; malformed optional values are dropped, never guessed."""
    mapping = provider.claims
    entitlements = _strings(claims.get(mapping.entitlements)) if mapping.entitlements else []
    email = _text(claims, mapping.email)
    return ExternalProfile(
        subject=str(claims["sub"]),
        name=_text(claims, mapping.name),
        email=email.lower() if email else None,
        email_verified=claims.get(mapping.email_verified) is True,
        orcid=_valid(normalise_orcid, _text(claims, mapping.orcid)),
        ror=_valid(normalise_ror, _text(claims, mapping.ror)),
        affiliation=_text(claims, mapping.affiliation),
        country=_valid(normalise_country, _text(claims, mapping.country)),
        roles=frozenset(provider.roles[e] for e in entitlements if e in provider.roles),
    )


def user_for_sign_in(
    session: Session,
    provider: OidcProvider,
    profile: ExternalProfile,
    *,
    link_to: str | None = None,
) -> User:
    """The user this verified sign-in is, linking or creating one by the policy above."""
    link = session.scalar(
        select(IdentityLink).where(
            IdentityLink.issuer == provider.issuer, IdentityLink.subject == profile.subject
        )
    )
    if link is not None:
        if link_to is not None and link.user_id != link_to:
            raise Conflict(
                _l(
                    "this %(provider)s account is linked to another account here",
                    provider=provider.name,
                ),
                code="identity.link-taken",
            )
        user = _active(session.get_one(User, link.user_id))
    elif link_to is not None:
        user = _link(
            session, provider, profile, _active(session.get_one(User, link_to)), "signed-in"
        )
    else:
        user = _first_sign_in(session, provider, profile)
    _sync_profile(session, provider, user, profile)
    _sync_roles(session, provider, user, profile.roles)
    return user


def links_of(session: Session, user_id: str) -> list[IdentityLink]:
    return list(
        session.scalars(
            select(IdentityLink).where(IdentityLink.user_id == user_id).order_by(IdentityLink.id)
        )
    )


# --- the policy ------------------------------------------------------------------------------


def _first_sign_in(session: Session, provider: OidcProvider, profile: ExternalProfile) -> User:
    if "orcid" in provider.link_on and profile.orcid:
        user = session.scalar(select(User).where(User.orcid == profile.orcid))
        if user is not None:
            return _link(session, provider, profile, _active(user), "orcid")
    if "email" in provider.link_on and profile.email and profile.email_verified:
        user = _user_by_email(session, profile.email)
        if user is not None:
            return _link(session, provider, profile, _active(user), "email")
    if not provider.create_accounts:
        raise Forbidden(
            _l(
                "this node does not create accounts for people signing in with %(provider)s",
                provider=provider.name,
            ),
            code="identity.no-account",
            hint=N_("ask an administrator for an account, then link it from your account page"),
        )
    return _create(session, provider, profile)


def _create(session: Session, provider: OidcProvider, profile: ExternalProfile) -> User:
    if not profile.email:
        raise InvalidInput(
            _l(
                "%(provider)s did not share an email address, which a new account needs",
                provider=provider.name,
            ),
            code="identity.oidc-no-email",
            hint=N_("allow the provider to share your email, or sign in another way and link it"),
        )
    if _user_by_email(session, profile.email) is not None or (
        profile.orcid and session.scalar(select(User.id).where(User.orcid == profile.orcid))
    ):
        raise Conflict(
            N_("an account with this email address or ORCID iD exists already"),
            code="identity.account-exists",
            hint=_l(
                "sign in as before, then link %(provider)s from your account page",
                provider=provider.name,
            ),
        )
    now = node_of(session).clock.now()
    user = User(
        id=new_id("usr"),
        name=profile.name or profile.email,
        email=profile.email,
        orcid=profile.orcid,
        organisation_id=None,
        country=profile.country or provider.default_country or _node_country(session),
        status="active",
        password_hash=hash_password(new_secret()),  # unusable: nobody ever sees it
        created_at=now,
    )
    user.roles = [
        RoleAssignment(
            id=new_id("rol"), role=r.value, scope_kind="node", scope_id="", created_at=now
        )
        for r in dict.fromkeys(provider.default_roles)
        if r not in profile.roles
    ]
    session.add(user)
    session.flush()
    user.organisation_id = _organisation(session, provider, profile, user)
    ledger.append(
        session,
        ledger.Event(
            "identity.user.created",
            subjects={"actor": user.id, "user": user.id},
            public={
                "organisation": user.organisation_id,
                "roles": sorted(r.role for r in user.roles),
                "idp": provider.id,
            },
            record={
                "name": user.name,
                "email": user.email,
                "orcid": user.orcid,
                "country": user.country,
            },
        ),
    )
    return _link(session, provider, profile, user, "new-account")


def _link(
    session: Session, provider: OidcProvider, profile: ExternalProfile, user: User, how: str
) -> User:
    link = IdentityLink(
        id=new_id("lnk"),
        user_id=user.id,
        provider=provider.id,
        issuer=provider.issuer,
        subject=profile.subject,
        linked_by=how,
        created_at=node_of(session).clock.now(),
    )
    session.add(link)
    ledger.append(
        session,
        ledger.Event(
            "identity.link.created",
            subjects={"actor": user.id, "user": user.id},
            public={"link": link.id, "idp": provider.id, "linked_by": how},
            record={"issuer": provider.issuer, "subject": profile.subject},
        ),
    )
    return user


def _sync_roles(
    session: Session, provider: OidcProvider, user: User, asserted: frozenset[Role]
) -> None:
    """Grant the roles the IdP's entitlements map to; revoke those it no longer asserts."""
    now = node_of(session).clock.now()
    node_roles = {r.role for r in user.roles if r.scope_kind == "node"}
    for role in sorted(asserted):
        if role.value not in node_roles:
            user.roles.append(
                RoleAssignment(
                    id=new_id("rol"),
                    role=role.value,
                    scope_kind="node",
                    scope_id="",
                    idp=provider.id,
                    created_at=now,
                )
            )
            _role_event(session, "identity.role.granted", provider, user, role.value)
    for assignment in [r for r in user.roles if r.idp == provider.id]:
        if Role(assignment.role) not in asserted:
            user.roles.remove(assignment)
            _role_event(session, "identity.role.revoked", provider, user, assignment.role)


def _sync_profile(
    session: Session, provider: OidcProvider, user: User, profile: ExternalProfile
) -> None:
    """Copy the profile the IdP shares now onto a linked account; one event names the fields
    that changed (their values stay in the record, out of the public log)."""
    changes = _profile_changes(session, provider, user, profile)
    if not changes:
        return
    for column, value in changes.items():
        setattr(user, column, value)
    ledger.append(
        session,
        ledger.Event(
            "identity.user.updated",
            subjects={"actor": user.id, "user": user.id},
            public={"fields": sorted(changes), "idp": provider.id},
            record=dict(changes),
        ),
    )


def _profile_changes(
    session: Session, provider: OidcProvider, user: User, profile: ExternalProfile
) -> dict[str, str | None]:
    """What differs between the account and the claims. A claim the IdP does not share leaves
    its field alone; an email is copied only when verified and held by no other account."""
    wanted: dict[str, str | None] = {}
    if profile.name:
        wanted["name"] = profile.name[:300]
    if profile.email and profile.email_verified and len(profile.email) <= 320:
        holder = _user_by_email(session, profile.email)
        if holder is None or holder.id == user.id:
            wanted["email"] = profile.email
    if profile.country:
        wanted["country"] = profile.country
    if profile.ror:
        organisation = _organisation(session, provider, profile, user)
        if organisation is not None:
            wanted["organisation_id"] = organisation
    return {k: v for k, v in wanted.items() if getattr(user, k) != v}


def _role_event(session: Session, kind: str, provider: OidcProvider, user: User, role: str) -> None:
    ledger.append(
        session,
        ledger.Event(
            kind,
            subjects={"actor": user.id, "user": user.id},
            public={"role": role, "scope_kind": "node", "scope": "", "idp": provider.id},
        ),
    )


def _organisation(
    session: Session, provider: OidcProvider, profile: ExternalProfile, user: User
) -> str | None:
    """The organisation of the asserted ROR id; registered here when the IdP names it."""
    if profile.ror is None:
        return None
    org = session.scalar(select(Organisation).where(Organisation.ror_id == profile.ror))
    if org is not None:
        return org.id
    if not profile.affiliation:
        return None
    actor = Principal(user.id, user.name, None, None, (RoleGrant(Role.RESEARCHER),), "session")
    created = service.create_organisation(
        session,
        actor,
        schemas.OrganisationCreate(
            name=profile.affiliation[:300], ror_id=profile.ror, country=user.country
        ),
    )
    return created.id


# --- helpers ---------------------------------------------------------------------------------


def _active(user: User) -> User:
    if user.status != "active":
        raise Forbidden(N_("this account is suspended"), code="identity.suspended")
    return user


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def _node_country(session: Session) -> str:
    return node_of(session).identity.jurisdiction


def _text(claims: dict[str, Any], name: str | None) -> str | None:
    value = claims.get(name) if name else None
    return value.strip() or None if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _valid(normalise: Any, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(normalise(value))
    except ValueError:
        return None

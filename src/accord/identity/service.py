"""Identity operations: plain functions over a session, each logging its change to the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from accord.i18n.translate import N_, _l
from accord.identity import schemas
from accord.identity.models import (
    Accreditation,
    ApiToken,
    Organisation,
    RoleAssignment,
    User,
    WebSession,
)
from accord.identity.passwords import generate_password, hash_password, verify_password
from accord.identity.permissions import Permission, Role, ScopeKind
from accord.identity.principal import Principal, RoleGrant
from accord.identity.secrets import TOKEN_PREFIX, digest, new_secret
from accord.identity.token_cache import TokenHolder
from accord.ids import new_id
from accord.node import node_of
from accord.ops.ratelimit import DatabaseLimiter, Limit
from accord.paging import fetch_page


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()


# --- organisations ---------------------------------------------------------------------------


def create_organisation(
    session: Session, actor: Principal, data: schemas.OrganisationCreate
) -> Organisation:
    if data.ror_id and session.scalar(
        select(Organisation.id).where(Organisation.ror_id == data.ror_id)
    ):
        raise Conflict(
            f"an organisation with ROR id {data.ror_id} exists already",
            code="identity.duplicate-ror",
            errors=[FieldError("ror_id", "already registered")],
        )
    org = Organisation(
        id=new_id("org"),
        name=data.name,
        ror_id=data.ror_id,
        country=data.country,
        created_at=_now(session),
    )
    session.add(org)
    ledger.append(
        session,
        ledger.Event(
            "identity.organisation.created",
            subjects={"actor": actor.user_id},
            public={
                "organisation": org.id,
                "ror_id": org.ror_id,
                "country": org.country,
            },
            record={"name": org.name},
        ),
    )
    return org


def list_organisations(
    session: Session, *, limit: int = 50, cursor: str | None = None
) -> tuple[Sequence[Organisation], str | None]:
    return fetch_page(session, select(Organisation), Organisation.id, limit=limit, cursor=cursor)


def get_organisation(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"no organisation {org_id!r}", code="identity.organisation-not-found")
    return org


# --- users -----------------------------------------------------------------------------------


def create_user(
    session: Session, actor: Principal, data: schemas.UserCreate
) -> tuple[User, str | None]:
    """Create an active user; returns the generated password when none was given."""
    email = str(data.email).lower()
    _check_unique_user(session, email, data.orcid)
    if data.organisation_id is not None:
        _organisation_field(session, data.organisation_id)
    generated = None if data.password else generate_password()
    now = _now(session)
    user = User(
        id=new_id("usr"),
        name=data.name,
        email=email,
        orcid=data.orcid,
        organisation_id=data.organisation_id,
        country=data.country,
        status="active",
        password_hash=hash_password(data.password or generated or ""),
        created_at=now,
    )
    user.roles = [
        RoleAssignment(
            id=new_id("rol"),
            role=role.value,
            scope_kind="node",
            scope_id="",
            created_at=now,
        )
        for role in dict.fromkeys(data.roles)
    ]
    session.add(user)
    ledger.append(
        session,
        ledger.Event(
            "identity.user.created",
            subjects={"actor": actor.user_id, "user": user.id},
            public={
                "organisation": user.organisation_id,
                "roles": sorted(r.value for r in data.roles),
            },
            record={
                "name": user.name,
                "email": email,
                "orcid": user.orcid,
                "country": user.country,
            },
        ),
    )
    return user, generated


def _check_unique_user(session: Session, email: str, orcid: str | None) -> None:
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(
            "a user with this email exists already",
            code="identity.duplicate-email",
            errors=[FieldError("email", "already registered")],
        )
    if orcid and session.scalar(select(User.id).where(User.orcid == orcid)):
        raise Conflict(
            f"a user with ORCID iD {orcid} exists already",
            code="identity.duplicate-orcid",
            errors=[FieldError("orcid", "already registered")],
        )


def _organisation_field(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise InvalidInput(
            f"no organisation {org_id!r}",
            code="identity.unknown-organisation",
            errors=[FieldError("organisation_id", "no such organisation")],
            hint="list organisations with `accord org list`",
        )
    return org


def list_users(
    session: Session, *, limit: int = 50, cursor: str | None = None, email: str | None = None
) -> tuple[Sequence[User], str | None]:
    stmt = select(User)
    if email is not None:
        stmt = stmt.where(User.email == email.strip().lower())
    return fetch_page(session, stmt, User.id, limit=limit, cursor=cursor)


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}", code="identity.user-not-found")
    return user


def find_user(session: Session, ref: str) -> User:
    """A user by id or by email (for the CLI)."""
    user = session.scalar(select(User).where((User.id == ref) | (User.email == ref.lower())))
    if user is None:
        raise NotFound(f"no user {ref!r}", code="identity.user-not-found")
    return user


def set_user_status(
    session: Session, actor: Principal, user_id: str, *, suspended: bool, reason: str
) -> User:
    user = get_user(session, user_id)
    if user.id == actor.user_id and suspended:
        raise Conflict("you cannot suspend yourself", code="identity.self-suspension")
    new_status = "suspended" if suspended else "active"
    if user.status == new_status:
        raise Conflict(f"user is {new_status} already", code="identity.status-unchanged")
    user.status = new_status
    if suspended:
        _end_sessions(session, user.id)
    ledger.append(
        session,
        ledger.Event(
            "identity.user.suspended" if suspended else "identity.user.reactivated",
            subjects={"actor": actor.user_id, "user": user.id},
            record={"reason": reason},
        ),
    )
    return user


def set_preferences(session: Session, actor: Principal, data: schemas.Preferences) -> User:
    """The caller's own preferences (the language they read: emails, pages after sign-in)."""
    user = get_user(session, actor.user_id)
    if user.language == data.language:
        return user
    user.language = data.language
    ledger.append(
        session,
        ledger.Event(
            "identity.preferences.changed",
            subjects={"actor": actor.user_id},
            public={"language": data.language},
        ),
    )
    return user


def add_role(session: Session, actor: Principal, user_id: str, data: schemas.RoleAdd) -> User:
    user = get_user(session, user_id)
    if data.scope_kind is not ScopeKind.NODE and not data.scope_id:
        raise InvalidInput(
            "a scoped role needs the id of its organisation or dataset",
            code="identity.scope-missing",
            errors=[FieldError("scope_id", "required when scope_kind is not node")],
        )
    scope_id = data.scope_id if data.scope_kind is not ScopeKind.NODE else ""
    if any(
        r.role == data.role and r.scope_kind == data.scope_kind and r.scope_id == scope_id
        for r in user.roles
    ):
        raise Conflict(f"user holds role {data.role} there already", code="identity.role-held")
    assignment = RoleAssignment(
        id=new_id("rol"),
        role=data.role.value,
        scope_kind=data.scope_kind.value,
        scope_id=scope_id,
        created_at=_now(session),
    )
    user.roles.append(assignment)
    ledger.append(
        session,
        ledger.Event(
            "identity.role.granted",
            subjects={"actor": actor.user_id, "user": user.id},
            public={
                "role": data.role.value,
                "scope_kind": data.scope_kind.value,
                "scope": scope_id,
            },
        ),
    )
    return user


def remove_role(session: Session, actor: Principal, user_id: str, assignment_id: str) -> User:
    user = get_user(session, user_id)
    assignment = next((r for r in user.roles if r.id == assignment_id), None)
    if assignment is None:
        raise NotFound(
            f"user has no role assignment {assignment_id!r}",
            code="identity.role-not-found",
        )
    if assignment.role == Role.ADMIN and user.id == actor.user_id:
        raise Conflict("you cannot remove your own admin role", code="identity.self-demotion")
    user.roles.remove(assignment)
    ledger.append(
        session,
        ledger.Event(
            "identity.role.revoked",
            subjects={"actor": actor.user_id, "user": user.id},
            public={
                "role": assignment.role,
                "scope_kind": assignment.scope_kind,
                "scope": assignment.scope_id,
            },
        ),
    )
    return user


# --- accreditations --------------------------------------------------------------------------


def add_accreditation(
    session: Session, actor: Principal, user_id: str, data: schemas.AccreditationCreate
) -> Accreditation:
    user = get_user(session, user_id)
    if data.expires_on is not None and data.expires_on <= data.issued_on:
        raise InvalidInput(
            "an accreditation must expire after it was issued",
            code="identity.accreditation-dates",
            errors=[FieldError("expires_on", "must be after issued_on")],
        )
    accreditation = Accreditation(
        id=new_id("acr"),
        user_id=user.id,
        kind=data.kind,
        issuer=data.issuer,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
        created_at=_now(session),
    )
    session.add(accreditation)
    ledger.append(
        session,
        ledger.Event(
            "identity.accreditation.granted",
            subjects={"actor": actor.user_id, "user": user.id},
            public={
                "accreditation": accreditation.id,
                "kind": data.kind,
                "expires_on": data.expires_on.isoformat() if data.expires_on else None,
            },
            record={"issuer": data.issuer, "issued_on": data.issued_on.isoformat()},
        ),
    )
    return accreditation


def withdraw_accreditation(
    session: Session, actor: Principal, accreditation_id: str, reason: str
) -> None:
    """End an accreditation now, with the reason (logged); it no longer counts anywhere."""
    accreditation = session.get(Accreditation, accreditation_id)
    if accreditation is None:
        raise NotFound(
            f"no accreditation {accreditation_id!r}", code="identity.accreditation-not-found"
        )
    session.delete(accreditation)
    ledger.append(
        session,
        ledger.Event(
            "identity.accreditation.withdrawn",
            subjects={"actor": actor.user_id, "user": accreditation.user_id},
            public={"accreditation": accreditation.id, "kind": accreditation.kind},
            record={"reason": reason},
        ),
    )


def accreditations_of(session: Session, user_id: str) -> Sequence[Accreditation]:
    return session.scalars(
        select(Accreditation).where(Accreditation.user_id == user_id).order_by(Accreditation.id)
    ).all()


# --- authentication --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    per_address: int = 30


def authenticate_password(
    session: Session,
    email: str,
    password: str,
    *,
    client: str = "unknown",
    policy: SignInPolicy = SignInPolicy(),
) -> User:
    """Check a password, with lockout after repeated failures and a per-address attempt limit.

    Failure counters live in the database (shared by every API process); the caller commits the
    session even when this raises, so that failures are counted.
    """
    now = _now(session)
    limiter = DatabaseLimiter(session)
    email = email.strip().lower()
    failures_key = f"signin-failures:{email}"
    lockout = Limit(policy.max_failures, policy.lockout)
    if wait := limiter.hit(
        f"signin-address:{client}", Limit(policy.per_address, timedelta(minutes=5)), now
    ):
        raise _locked(wait, "too many sign-in attempts from your address")
    if wait := limiter.peek(failures_key, lockout, now):
        raise _locked(wait, "this account is locked after repeated failed sign-ins")
    try:
        user = _check_password(session, email, password)
    except Unauthenticated:
        limiter.hit(failures_key, lockout, now)
        raise
    limiter.reset(failures_key)
    return user


def _locked(wait: int, message: str) -> RateLimited:
    minutes = max(1, round(wait / 60))
    return RateLimited(
        f"{message}; try again in about {minutes} minute{'s' if minutes > 1 else ''}",
        code="identity.locked-out",
        extra={"retry_after": wait},
    )


def _check_password(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated(
            N_("wrong email or password"),
            code="identity.bad-credentials",
            hint=N_("check both and try again"),
        )
    if user.status != "active":
        raise Forbidden(N_("this account is suspended"), code="identity.suspended")
    return user


def start_web_session(session: Session, user: User, *, hours: int) -> tuple[str, WebSession]:
    """Create a browser session; returns the cookie secret (shown once) and the row."""
    secret = new_secret()
    now = _now(session)
    row = WebSession(
        id=new_id("wss"),
        user_id=user.id,
        secret_hash=digest(secret),
        csrf_token=new_secret(),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    return secret, row


def end_web_session(session: Session, secret: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
    if row is not None:
        session.delete(row)


def _end_sessions(session: Session, user_id: str) -> None:
    for row in session.scalars(select(WebSession).where(WebSession.user_id == user_id)):
        session.delete(row)


def principal_from_session_secret(session: Session, secret: str) -> Principal | None:
    row = session.scalar(select(WebSession).where(WebSession.secret_hash == digest(secret)))
    if row is None or row.expires_at <= _now(session):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.status != "active":
        return None
    return principal_for(user, via="session", csrf_token=row.csrf_token)


def principal_from_token(session: Session, secret: str) -> Principal:
    token, user = _live_token(session, secret)
    return principal_for(user, via="token", token_scopes=frozenset(token.scopes))


def token_holder(session: Session, secret: str) -> TokenHolder:
    """The principal and account a token speaks for (what ``TokenCache`` keeps)."""
    token, user = _live_token(session, secret)
    principal = principal_for(user, via="token", token_scopes=frozenset(token.scopes))
    return TokenHolder(principal, account(session, principal), token.expires_at)


def _live_token(session: Session, secret: str) -> tuple[ApiToken, User]:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    if row is None:
        raise Unauthenticated(N_("unknown API token"), code="identity.bad-token")
    token, user = row
    if token.revoked_at is not None:
        raise Unauthenticated(N_("this API token was revoked"), code="identity.token-revoked")
    if token.expires_at <= _now(session):
        raise token_expired()
    if user.status != "active":
        raise Forbidden(N_("the account behind this token is suspended"), code="identity.suspended")
    return token, user


def token_expired() -> Unauthenticated:
    return Unauthenticated(
        N_("this API token has expired"),
        code="identity.token-expired",
        hint=N_("create a new one with `accord token create`"),
    )


def account(session: Session, principal: Principal) -> schemas.Me:
    """The caller's own account: details, roles, accreditations, and what they may do."""
    user = get_user(session, principal.user_id)
    return schemas.Me(
        **schemas.UserOut.model_validate(user).model_dump(),
        accreditations=[
            schemas.AccreditationOut.model_validate(a) for a in accreditations_of(session, user.id)
        ],
        permissions=principal.permissions,
    )


def principal_for(
    user: User,
    *,
    via: str,
    csrf_token: str | None = None,
    token_scopes: frozenset[str] | None = None,
) -> Principal:
    return Principal(
        user_id=user.id,
        name=user.name,
        organisation_id=user.organisation_id,
        country=user.country,
        roles=tuple(
            RoleGrant(Role(r.role), ScopeKind(r.scope_kind), r.scope_id) for r in user.roles
        ),
        via="token" if via == "token" else "session",
        token_scopes=token_scopes,
        csrf_token=csrf_token,
        language=user.language,
    )


# --- API tokens ------------------------------------------------------------------------------


def create_token(
    session: Session, actor: Principal, user_id: str, data: schemas.TokenCreate
) -> tuple[str, ApiToken]:
    """Issue a token for ``user_id`` (yourself, or anyone as admin); the secret is shown once."""
    user = get_user(session, user_id)
    if user.id != actor.user_id and not actor.can(Permission.USER_UPDATE):
        raise Forbidden(N_("you can only create tokens for yourself"), code="identity.not-yours")
    holder = principal_for(user, via="token")
    held = set(holder.permissions)
    wanted = [p.value for p in data.scopes] if data.scopes is not None else sorted(held)
    missing = sorted(set(wanted) - held)
    if missing:
        raise InvalidInput(
            _l("the user does not hold %(permissions)s", permissions=", ".join(missing)),
            code="identity.scope-not-held",
            errors=[
                FieldError(
                    "scopes", _l("not held: %(permissions)s", permissions=", ".join(missing))
                )
            ],
        )
    secret = new_secret(TOKEN_PREFIX)
    now = _now(session)
    token = ApiToken(
        id=new_id("tok"),
        user_id=user.id,
        name=data.name,
        token_hash=digest(secret),
        scopes=wanted,
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
        revoked_at=None,
    )
    session.add(token)
    ledger.append(
        session,
        ledger.Event(
            "identity.token.created",
            subjects={"actor": actor.user_id, "user": user.id},
            public={"token": token.id, "expires_at": token.expires_at.isoformat()},
            record={"name": data.name, "scopes": wanted},
        ),
    )
    return secret, token


def list_tokens(session: Session, user_id: str) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def revoke_token(session: Session, actor: Principal, token_id: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.can(Permission.USER_UPDATE)):
        raise NotFound(_l("no token %(token)r", token=token_id), code="identity.token-not-found")
    if token.revoked_at is not None:
        raise Conflict(N_("this token was revoked already"), code="identity.token-revoked")
    token.revoked_at = _now(session)
    ledger.append(
        session,
        ledger.Event(
            "identity.token.revoked",
            subjects={"actor": actor.user_id, "user": token.user_id},
            public={"token": token.id},
        ),
    )
    return token


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)

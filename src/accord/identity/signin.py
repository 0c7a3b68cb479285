"""Sign-in flows that span several requests: the OpenID Connect round trip and the second step.

A flow is a row keyed by the hash of a random secret held in the browser's ``accord_signin``
cookie (``HttpOnly``, ``SameSite=Lax``, path ``/sign-in``). It lives ten minutes and is used once:
an OIDC callback consumes its flow before anything is checked, so a replayed callback finds no
flow. Like browser sessions, flows are authentication state, not events of the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.config import OidcProvider, Settings
from accord.errors import BadRequest, RateLimited, Unauthenticated
from accord.i18n.translate import N_, _l, _nl
from accord.identity import linking, oidc, totp
from accord.identity.models import SignInFlow, User
from accord.identity.permissions import Role
from accord.identity.secrets import digest, new_secret, same
from accord.identity.service import (
    SignInPolicy,
    authenticate_password,
    principal_for,
    start_web_session,
)
from accord.ids import new_id
from accord.node import node_of
from accord.ops.ratelimit import DatabaseLimiter, Limit

FLOW_COOKIE = "accord_signin"
FLOW_LIFETIME = timedelta(minutes=10)
OIDC = "oidc"
SECOND_STEP = "second-step"
DEFAULT_POLICY = SignInPolicy()


@dataclass(frozen=True)
class Signed:
    """The user is signed in: ``secret`` goes into the session cookie."""

    secret: str
    next_url: str
    language: str | None = None  # the account's language, remembered by the browser


@dataclass(frozen=True)
class SecondStep:
    """A TOTP code (or enrolment) is needed: ``secret`` goes into the flow cookie."""

    secret: str


def first_factor_passed(
    session: Session, user: User, settings: Settings, next_url: str
) -> Signed | SecondStep:
    """A password or an IdP vouched for ``user``: a session, or the second step first."""
    if totp.is_enrolled(session, user.id) or second_factor_required(user, settings):
        secret = _new_flow(session, SECOND_STEP, next_url, user_id=user.id, state=new_secret())
        return SecondStep(secret)
    secret, _ = start_web_session(session, user, hours=settings.session_hours)
    return Signed(secret, next_url, user.language)


def second_factor_required(user: User, settings: Settings) -> bool:
    required = set(settings.totp_required_roles)
    return any(Role(r.role) in required for r in user.roles)


# --- OpenID Connect ----------------------------------------------------------------------------


def start_oidc(
    session: Session,
    provider: OidcProvider,
    *,
    redirect_uri: str,
    next_url: str,
    link_to: str | None = None,
    client: str = "unknown",
    policy: SignInPolicy = DEFAULT_POLICY,
) -> tuple[str, str]:
    """Begin a sign-in (or, with ``link_to``, a link) at ``provider``: (flow secret, IdP URL).

    Starts count towards the per-address sign-in limit of password sign-in, so that nobody can
    fill the flow table or make the node hammer an IdP."""
    now = _now(session)
    limit = Limit(policy.per_address, timedelta(minutes=5))
    if wait := DatabaseLimiter(session).hit(f"signin-address:{client}", limit, now):
        raise RateLimited(
            N_("too many sign-in attempts from your address"),
            code="identity.locked-out",
            hint=_l("try again in %(seconds)s s", seconds=wait),
            extra={"retry_after": wait},
        )
    session.execute(delete(SignInFlow).where(SignInFlow.expires_at <= now))
    metadata = oidc.discover(provider)
    request = oidc.authorization_request(provider, metadata, redirect_uri)
    secret = _new_flow(
        session,
        OIDC,
        next_url,
        provider=provider.id,
        user_id=link_to,
        state=request.state,
        nonce=request.nonce,
        code_verifier=request.code_verifier,
    )
    return secret, request.url


@dataclass(frozen=True)
class Vouched:
    user: User
    next_url: str
    linked: bool


def finish_oidc(
    session: Session,
    provider: OidcProvider,
    flow_secret: str,
    *,
    state: str,
    code: str,
    error: str | None,
    redirect_uri: str,
) -> Vouched:
    """Check the callback against its flow (consumed first) and return the verified user."""
    flow = take_flow(session, flow_secret, OIDC)
    if flow.provider != provider.id:
        raise _no_flow()
    if error:
        raise Unauthenticated(
            _l(
                "%(provider)s did not sign you in (%(error)s)",
                provider=provider.name,
                error=error[:100],
            ),
            code="identity.oidc-refused",
            hint=N_("start the sign-in again"),
        )
    if not oidc.same_state(flow.state, state):
        raise Unauthenticated(
            N_("the sign-in answer does not belong to the sign-in started here (state mismatch)"),
            code="identity.oidc-state-mismatch",
            hint=N_("start the sign-in again from this node's sign-in page"),
        )
    if not code:
        raise BadRequest(N_("the sign-in answer has no code"), code="identity.oidc-no-code")
    claims = oidc.redeem(
        provider,
        oidc.discover(provider),
        code=code,
        code_verifier=flow.code_verifier or "",
        nonce=flow.nonce or "",
        redirect_uri=redirect_uri,
        now=_now(session),
    )
    profile = linking.profile_from_claims(provider, claims)
    user = linking.user_for_sign_in(session, provider, profile, link_to=flow.user_id)
    return Vouched(user, flow.next_url, linked=flow.user_id is not None)


# --- the second step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingStep:
    user: User
    csrf_token: str
    enrolled: bool


def pending_step(session: Session, flow_secret: str) -> PendingStep:
    flow = _flow(session, flow_secret, SECOND_STEP)
    user = session.get_one(User, flow.user_id)
    return PendingStep(user, flow.state or "", totp.is_enrolled(session, user.id))


def finish_second_step(
    session: Session,
    settings: Settings,
    flow_secret: str,
    *,
    csrf_token: str,
    code: str,
    policy: SignInPolicy,
) -> Signed:
    """Check a TOTP or recovery code; failures count towards the account's lockout."""
    flow = _checked_step(session, flow_secret, csrf_token)
    user = session.get_one(User, flow.user_id)
    _verify_counted(session, user, code, policy)
    return _signed(session, settings, flow, user)


def _verify_counted(session: Session, user: User, code: str, policy: SignInPolicy) -> None:
    """``totp.verify`` under the password lockout: wrong codes count as failed sign-ins, and a
    locked account takes no code (so codes cannot be guessed faster than passwords)."""
    now = _now(session)
    limiter = DatabaseLimiter(session)
    key = f"signin-failures:{user.email}"
    lockout = Limit(policy.max_failures, policy.lockout)
    if wait := limiter.peek(key, lockout, now):
        minutes = max(1, round(wait / 60))
        raise RateLimited(
            _nl(
                "this account is locked after repeated failed sign-ins; "
                "try again in about %(count)s minute",
                "this account is locked after repeated failed sign-ins; "
                "try again in about %(count)s minutes",
                minutes,
            ),
            code="identity.locked-out",
            extra={"retry_after": wait},
        )
    try:
        totp.verify(session, user, code)
    except Unauthenticated:
        limiter.hit(key, lockout, now)
        raise


def policy_of(settings: Settings) -> SignInPolicy:
    """The node's sign-in limits (lockout after failures, attempts per address)."""
    return SignInPolicy(
        max_failures=settings.signin_max_failures,
        lockout=timedelta(minutes=settings.signin_lockout_minutes),
        per_address=settings.signin_per_address,
    )


def start_totp_replacement(
    session: Session,
    user: User,
    *,
    password: str,
    code: str,
    client: str,
    policy: SignInPolicy,
) -> totp.Enrolment:
    """A new key for a signed-in user who lost or changes their device, once their password and
    a current code or a recovery code are right; both count towards the lockout like a sign-in
    (the caller commits even when this raises, so failures are counted)."""
    checked = authenticate_password(session, user.email, password, client=client, policy=policy)
    if checked.id != user.id:
        raise Unauthenticated(N_("wrong password"), code="identity.bad-credentials")
    _verify_counted(session, user, code, policy)
    return totp.new_replacement(session, user)


def enrol_at_sign_in(
    session: Session,
    settings: Settings,
    flow_secret: str,
    *,
    csrf_token: str,
    sealed: str,
    code: str,
) -> tuple[Signed, list[str]]:
    """A user whose role requires TOTP enrols before their first session: (session, codes)."""
    flow = _checked_step(session, flow_secret, csrf_token)
    user = session.get_one(User, flow.user_id)
    codes = totp.confirm_enrolment(session, principal_for(user, via="session"), user, sealed, code)
    return _signed(session, settings, flow, user), codes


# --- flows -------------------------------------------------------------------------------------


def take_flow(session: Session, secret: str, kind: str) -> SignInFlow:
    """The flow of this cookie, deleted so that it cannot be used again."""
    flow = _flow(session, secret, kind)
    session.delete(flow)
    session.flush()
    return flow


def drop_flow(session: Session, secret: str) -> None:
    session.execute(delete(SignInFlow).where(SignInFlow.secret_hash == digest(secret)))


def _flow(session: Session, secret: str, kind: str) -> SignInFlow:
    now = _now(session)
    session.execute(delete(SignInFlow).where(SignInFlow.expires_at <= now))
    flow = session.scalar(select(SignInFlow).where(SignInFlow.secret_hash == digest(secret)))
    if flow is None or flow.kind != kind:
        raise _no_flow()
    return flow


def _checked_step(session: Session, flow_secret: str, csrf_token: str) -> SignInFlow:
    flow = _flow(session, flow_secret, SECOND_STEP)
    if not csrf_token or not same(csrf_token, flow.state or ""):
        raise _no_flow()
    return flow


def _signed(session: Session, settings: Settings, flow: SignInFlow, user: User) -> Signed:
    session.delete(flow)
    secret, _ = start_web_session(session, user, hours=settings.session_hours)
    return Signed(secret, flow.next_url, user.language)


def _new_flow(
    session: Session,
    kind: str,
    next_url: str,
    *,
    provider: str | None = None,
    user_id: str | None = None,
    state: str | None = None,
    nonce: str | None = None,
    code_verifier: str | None = None,
) -> str:
    secret = new_secret()
    now = _now(session)
    session.add(
        SignInFlow(
            id=new_id("sif"),
            secret_hash=digest(secret),
            kind=kind,
            provider=provider,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            user_id=user_id,
            next_url=next_url,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
        )
    )
    return secret


def _no_flow() -> Unauthenticated:
    return Unauthenticated(
        N_(
            "no sign-in is under way in this browser (it expired, was used already, or was "
            "started elsewhere)"
        ),
        code="identity.no-sign-in-flow",
        hint=N_("start the sign-in again"),
    )


def _now(session: Session) -> datetime:
    return node_of(session).clock.now()

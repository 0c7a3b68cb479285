"""Authentication (bearer tokens, session cookies + CSRF) and the one route guard, ``require``.

Every route declares the permission it needs: ``principal: Principal = Depends(require(P))``
(or ``dependencies=[Depends(require(P))]``). Public routes declare ``Permission.PUBLIC``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from accord.errors import Forbidden, RateLimited, Unauthenticated
from accord.i18n.translate import N_, _l
from accord.identity import service, token_cache
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.identity.secrets import digest, same
from accord.identity.token_cache import TokenCache, TokenHolder
from accord.node import NodeContext
from accord.ops.ratelimit import Limit
from accord.web import i18n as web_i18n
from accord.web.deps import SAFE_METHODS

SESSION_COOKIE = "accord_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


# Where a request keeps what authenticating it found (scope keys: no per-request objects).
_PRINCIPAL = "accord.principal"
_HOLDER = "accord.token_holder"
_UNKNOWN = object()


def act_as(app: FastAPI, principal: Principal) -> None:
    """Every request to ``app`` acts as ``principal``, whatever it sends: the CLI's in-process
    client on the node's own data dir acts as the local operator (who holds the keys)."""
    app.state.acting_principal = principal


async def current_principal(request: Request) -> Principal | None:
    """The caller, from ``Authorization: Bearer`` or the session cookie; None if anonymous.

    Worked out once per request, however many guards ask. Tokens are looked up in the
    process's token cache first (decision 0008); database lookups run in the thread pool,
    never on the event loop; anonymous requests need no lookup at all.
    """
    scope = request.scope
    principal = scope.get(_PRINCIPAL, _UNKNOWN)
    if principal is _UNKNOWN:
        principal = scope[_PRINCIPAL] = await _authenticate(request)
        request.state.principal = principal  # what pages show the signed-in person
    assert principal is None or isinstance(principal, Principal)
    return principal


def token_holder_of(request: Request) -> TokenHolder | None:
    """What the request's bearer token speaks for, once a guard has authenticated it."""
    holder = request.scope.get(_HOLDER)
    return holder if isinstance(holder, TokenHolder) else None


async def _authenticate(request: Request) -> Principal | None:
    acting: Principal | None = getattr(request.app.state, "acting_principal", None)
    if acting is not None:
        return acting
    authorization = request.headers.get("authorization")
    principal: Principal | None = None
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated(
                N_("the Authorization header must be `Bearer <token>`"), code="identity.bad-token"
            )
        holder = await token_holder(request, secret.strip())
        request.scope[_HOLDER] = holder
        principal = holder.principal
        _limit_rate(request, principal)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        node: NodeContext = request.app.state.node
        principal = await run_in_threadpool(_principal_from_cookie, node, cookie)
    if principal is not None:
        web_i18n.prefer_account_language(request.scope, principal.language)
    return principal


async def token_holder(request: Request, secret: str) -> TokenHolder:
    """Who a bearer token speaks for: from the token cache, else read from the database."""
    node: NodeContext = request.app.state.node
    cache: TokenCache = request.app.state.token_cache
    key = digest(secret)
    holder = cache.get(key)
    if holder is None:
        generation = token_cache.generation()
        holder = await run_in_threadpool(_holder_from_database, node, secret)
        cache.put(key, holder, generation)
    if holder.expires_at <= node.clock.now():
        raise service.token_expired()
    return holder


def _holder_from_database(node: NodeContext, secret: str) -> TokenHolder:
    with node.session(readonly=True) as session:
        return service.token_holder(session, secret)


def _principal_from_cookie(node: NodeContext, cookie: str) -> Principal | None:
    with node.session(readonly=True) as session:
        return service.principal_from_session_secret(session, cookie)


def _limit_rate(request: Request, principal: Principal) -> None:
    """Per-holder request rate for API tokens (in-process counters, see ops/ratelimit.py)."""
    node = request.app.state.node
    limit = Limit(node.settings.api_requests_per_minute, timedelta(minutes=1))
    wait = request.app.state.token_limiter.hit(f"api:{principal.user_id}", limit, node.clock.now())
    if wait:
        raise RateLimited(
            N_("too many requests with this account's tokens"),
            code="rate-limited",
            hint=_l("wait %(seconds)s s and slow down", seconds=wait),
            extra={"retry_after": wait},
        )


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or principal.csrf_token is None or not same(sent, principal.csrf_token):
        raise Forbidden(
            N_("this form was sent without a valid CSRF token"),
            code="csrf-failed",
            hint=N_("reload the page and send the form again"),
        )


def require(permission: Permission) -> Callable[..., Awaitable[Principal | None]]:
    """A route guard: the caller must hold ``permission`` (``PUBLIC`` lets anyone in).

    Requests authenticated by the session cookie must also carry the session's CSRF token on
    every unsafe method (header ``X-CSRF-Token`` or form field ``csrf_token``).
    """

    async def guard(request: Request) -> Principal | None:
        # One dependency, not two: each level of FastAPI's dependency solving costs about as
        # much as the whole token check (decision 0010).
        principal = await current_principal(request)
        if permission is Permission.PUBLIC:
            # Public routes act with no authority of the caller, so a forged cross-site request
            # gains nothing from the session; they keep their own checks (sign-in has one).
            return principal
        if (
            principal is not None
            and principal.via == "session"
            and request.method not in SAFE_METHODS
        ):
            await _check_csrf(request, principal)
        if principal is None:
            raise Unauthenticated(
                N_("sign in or send an API token to do this"),
                code="unauthenticated",
                hint=N_("create a token with `accord token create`"),
            )
        if not principal.can_anywhere(permission):
            raise Forbidden(
                _l("this needs the permission %(permission)s", permission=permission.value),
                code="forbidden",
                extra={"permission": permission.value},
            )
        return principal

    guard.accord_permission = permission  # type: ignore[attr-defined]
    guard.__name__ = f"require_{permission.name.lower()}"
    return guard

"""Sign-in pages beyond the password form: OpenID Connect, the second step, TOTP enrolment.

``/sign-in/oidc/{provider}`` sends the browser to the IdP; its answer comes back to
``/sign-in/oidc/{provider}/callback``. Every failure shows the sign-in page with the reason and
starts no session. ``/sign-in/second-step`` asks for a TOTP code (or enrols a user whose role
requires one); ``/account/totp`` lets a signed-in user enrol, and replace their key when they
lose or change their device (``/account/totp/replacement``); an administrator resets the key
of someone who lost both device and recovery codes (``/admin/users/{id}/totp``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.config import OidcProvider, Settings
from accord.errors import AccordError, NotFound
from accord.identity import linking, service, signin, totp
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.web.deps import NodeDep, SessionDep
from accord.web.middleware import csp_with_form_targets
from accord.web.pages import render, safe_next, sign_in_form, step_response
from accord.web.security import require

router = APIRouter(include_in_schema=False)


def _writing_session(request: Request) -> Iterator[Session]:
    """A session that may write, for the GET routes that start or finish a sign-in flow."""
    node: NodeContext = request.app.state.node
    with node.session() as session:
        yield session


WritingSession = Annotated[Session, Depends(_writing_session)]

Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
SignedIn = Annotated[Principal, Depends(require(Permission.SIGNED_IN))]


@router.get("/sign-in/oidc/{provider_id}")
def oidc_start(
    request: Request,
    provider_id: str,
    session: WritingSession,
    node: NodeDep,
    _: Public,
    next: str = "/account",
) -> Response:
    provider = _provider(node.settings, provider_id)
    try:
        secret, url = signin.start_oidc(
            session,
            provider,
            redirect_uri=_redirect_uri(node, provider),
            next_url=safe_next(next),
            client=request.client.host if request.client else "unknown",
            policy=_policy(node.settings),
        )
    except AccordError as error:
        session.commit()  # keep the attempt counters
        return sign_in_form(
            request, node.settings, next_url=next, error=error.message, status_code=error.status
        )
    session.commit()
    return _to_provider(url, secret, node.settings)


@router.get("/sign-in/oidc/{provider_id}/callback")
def oidc_callback(
    request: Request,
    provider_id: str,
    session: WritingSession,
    node: NodeDep,
    _: Public,
    state: str = "",
    code: str = "",
    error: str | None = None,
) -> Response:
    provider = _provider(node.settings, provider_id)
    flow_secret = request.cookies.get(signin.FLOW_COOKIE, "")
    try:
        vouched = signin.finish_oidc(
            session,
            provider,
            flow_secret,
            state=state[:200],
            code=code[:2000],
            error=error,
            redirect_uri=_redirect_uri(node, provider),
        )
        step = None
        if not vouched.linked:
            step = signin.first_factor_passed(
                session, vouched.user, node.settings, vouched.next_url
            )
        session.commit()
    except AccordError as failure:
        session.rollback()
        signin.drop_flow(session, flow_secret)  # a flow is used once, even by a failure
        session.commit()
        page = sign_in_form(
            request,
            node.settings,
            next_url="/account",
            error=failure.message,
            status_code=failure.status,
        )
        page.delete_cookie(signin.FLOW_COOKIE, path="/sign-in")
        return page
    if step is None:  # a link from the account page: the user is signed in already
        response = RedirectResponse(vouched.next_url, status_code=303)
        response.delete_cookie(signin.FLOW_COOKIE, path="/sign-in")
        return response
    return step_response(step, node.settings)


@router.post("/account/identities")
def link_identity(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: SignedIn,
    provider: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Link an IdP account to the signed-in user (the IdP round trip proves they hold it)."""
    chosen = _provider(node.settings, provider)
    secret, url = signin.start_oidc(
        session,
        chosen,
        redirect_uri=_redirect_uri(node, chosen),
        next_url="/account/totp",
        link_to=principal.user_id,
        client=request.client.host if request.client else "unknown",
        policy=_policy(node.settings),
    )
    session.commit()
    return _to_provider(url, secret, node.settings)


@router.get("/sign-in/second-step", response_class=HTMLResponse)
def second_step_page(
    request: Request, session: WritingSession, node: NodeDep, _: Public
) -> Response:
    try:
        pending = signin.pending_step(session, request.cookies.get(signin.FLOW_COOKIE, ""))
    except AccordError as error:
        return sign_in_form(
            request, node.settings, next_url="/account", error=error.message, status_code=401
        )
    return _second_step(request, session, pending)


@router.post("/sign-in/second-step", response_class=HTMLResponse)
def second_step(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    _: Public,
    code: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    sealed: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    flow_secret = request.cookies.get(signin.FLOW_COOKIE, "")
    settings = node.settings
    try:
        pending = signin.pending_step(session, flow_secret)
        if pending.enrolled:
            step = signin.finish_second_step(
                session,
                settings,
                flow_secret,
                csrf_token=csrf_token,
                code=code,
                policy=_policy(settings),
            )
            session.commit()
            return step_response(step, settings)
        step, codes = signin.enrol_at_sign_in(
            session, settings, flow_secret, csrf_token=csrf_token, sealed=sealed, code=code
        )
        session.commit()
    except AccordError as error:
        session.commit()  # keep the failure counters
        try:
            pending = signin.pending_step(session, flow_secret)
        except AccordError:
            return sign_in_form(
                request, settings, next_url="/account", error=error.message, status_code=401
            )
        return _second_step(request, session, pending, error=error.message, status=error.status)
    response = render(
        request,
        "identity/recovery_codes.html",
        {"codes": codes, "next": safe_next(step.next_url)},
        status_code=201,
    )
    signed = step_response(step, settings)
    for header, value in signed.headers.items():
        if header == "set-cookie":
            response.headers.append(header, value)
    return response


@router.get("/account/totp", response_class=HTMLResponse)
def totp_page(
    request: Request, session: SessionDep, node: NodeDep, principal: SignedIn
) -> HTMLResponse:
    return _totp_page(request, session, node, principal)


@router.post("/account/totp", response_class=HTMLResponse)
def totp_start(
    request: Request, session: SessionDep, node: NodeDep, principal: SignedIn
) -> HTMLResponse:
    user = service.get_user(session, principal.user_id)
    if totp.is_enrolled(session, user.id):
        return _totp_page(request, session, node, principal)
    enrolment = totp.new_enrolment(session, user)
    return render(
        request,
        "identity/totp_enrol.html",
        {"enrolment": enrolment, "action": "/account/totp/confirmation"},
    )


@router.post("/account/totp/confirmation", response_class=HTMLResponse)
def totp_confirm(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: SignedIn,
    code: Annotated[str, Form(max_length=40)] = "",
    sealed: Annotated[str, Form(max_length=400)] = "",
) -> HTMLResponse:
    user = service.get_user(session, principal.user_id)
    try:
        codes = totp.confirm_enrolment(session, principal, user, sealed, code)
        session.commit()
    except AccordError as error:
        session.rollback()
        enrolment = totp.Enrolment("", "", sealed)
        return render(
            request,
            "identity/totp_enrol.html",
            {
                "enrolment": enrolment,
                "action": "/account/totp/confirmation",
                "error": error.message,
            },
            status_code=error.status,
        )
    return render(
        request, "identity/recovery_codes.html", {"codes": codes, "next": "/account"}, 201
    )


@router.post("/account/totp/replacement", response_class=HTMLResponse)
def totp_replacement(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    principal: SignedIn,
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    """Password and a current or recovery code → a new key to add to the new app."""
    user = service.get_user(session, principal.user_id)
    try:
        enrolment = signin.start_totp_replacement(
            session,
            user,
            password=password,
            code=code,
            client=request.client.host if request.client else "unknown",
            policy=signin.policy_of(node.settings),
        )
    except AccordError as error:
        session.commit()  # keep the failure counters
        return _totp_page(request, session, node, principal, error=error)
    session.commit()
    return _replacement_form(request, enrolment)


@router.post("/account/totp/replacement/confirmation", response_class=HTMLResponse)
def totp_replacement_confirm(
    request: Request,
    session: SessionDep,
    principal: SignedIn,
    code: Annotated[str, Form(max_length=40)] = "",
    sealed: Annotated[str, Form(max_length=400)] = "",
) -> HTMLResponse:
    user = service.get_user(session, principal.user_id)
    try:
        codes = totp.confirm_replacement(session, principal, user, sealed, code)
        session.commit()
    except AccordError as error:
        session.rollback()
        return _replacement_form(request, totp.Enrolment("", "", sealed), error)
    return render(
        request, "identity/recovery_codes.html", {"codes": codes, "next": "/account/totp"}, 201
    )


UserAdmin = Annotated[Principal, Depends(require(Permission.USER_UPDATE))]


@router.get("/admin/users/{user_id}/totp", response_class=HTMLResponse)
def admin_totp_page(
    request: Request, user_id: str, session: SessionDep, _: UserAdmin
) -> HTMLResponse:
    return _admin_totp_page(request, session, service.get_user(session, user_id).id)


@router.post("/admin/users/{user_id}/totp/reset", response_class=HTMLResponse)
def admin_totp_reset(
    request: Request, user_id: str, session: SessionDep, principal: UserAdmin
) -> HTMLResponse:
    """Remove the key of someone who lost both device and recovery codes (decision 1302)."""
    user = service.get_user(session, user_id)
    try:
        totp.reset(session, principal, user)
        session.commit()
    except AccordError as error:
        session.rollback()
        return _admin_totp_page(request, session, user.id, error=error)
    return _admin_totp_page(request, session, user.id, done=True)


# --- helpers ---------------------------------------------------------------------------------


def _admin_totp_page(
    request: Request,
    session: SessionDep,
    user_id: str,
    *,
    done: bool = False,
    error: AccordError | None = None,
) -> HTMLResponse:
    return render(
        request,
        "identity/admin_totp.html",
        {
            "user": service.get_user(session, user_id),
            "status": totp.status(session, user_id),
            "done": done,
            "error": error.message if error else None,
        },
        status_code=error.status if error else 200,
    )


def _replacement_form(
    request: Request, enrolment: totp.Enrolment, error: AccordError | None = None
) -> HTMLResponse:
    return render(
        request,
        "identity/totp_enrol.html",
        {
            "enrolment": enrolment,
            "action": "/account/totp/replacement/confirmation",
            "replacing": True,
            "error": error.message if error else None,
        },
        status_code=error.status if error else 200,
    )


def _totp_page(
    request: Request,
    session: SessionDep,
    node: NodeContext,
    principal: Principal,
    *,
    error: AccordError | None = None,
) -> HTMLResponse:
    user = service.get_user(session, principal.user_id)
    linked = {link.provider for link in linking.links_of(session, user.id)}
    unlinked = [p for p in node.settings.oidc_providers if p.id not in linked]
    response = render(
        request,
        "identity/totp.html",
        {
            "status": totp.status(session, user.id),
            "required": signin.second_factor_required(user, node.settings),
            "links": linking.links_of(session, user.id),
            "unlinked": unlinked,
            "error": error.message if error else None,
        },
        status_code=error.status if error else 200,
    )
    response.headers["content-security-policy"] = csp_with_form_targets(p.issuer for p in unlinked)
    return response


def _second_step(
    request: Request,
    session: SessionDep,
    pending: signin.PendingStep,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    if pending.enrolled:
        return render(
            request,
            "identity/second_step.html",
            {"csrf": pending.csrf_token, "error": error},
            status_code=status,
        )
    return render(
        request,
        "identity/totp_enrol.html",
        {
            "enrolment": totp.new_enrolment(session, pending.user),
            "action": "/sign-in/second-step",
            "csrf": pending.csrf_token,
            "required": True,
            "error": error,
        },
        status_code=status,
    )


def _provider(settings: Settings, provider_id: str) -> OidcProvider:
    for provider in settings.oidc_providers:
        if provider.id == provider_id:
            return provider
    raise NotFound(f"no identity provider {provider_id!r} here", code="identity.idp-not-found")


def _redirect_uri(node: NodeContext, provider: OidcProvider) -> str:
    return f"{node.settings.base_url}/sign-in/oidc/{provider.id}/callback"


def _to_provider(url: str, secret: str, settings: Settings) -> Response:
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        signin.FLOW_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/sign-in",
        max_age=int(signin.FLOW_LIFETIME.total_seconds()),
    )
    return response


def _policy(settings: Settings) -> service.SignInPolicy:
    return service.SignInPolicy(
        max_failures=settings.signin_max_failures,
        lockout=timedelta(minutes=settings.signin_lockout_minutes),
        per_address=settings.signin_per_address,
    )

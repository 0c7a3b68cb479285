"""HTML pages of the node shell: home, sign in/out, account, and user administration.

Pages call the same services as the API. Forms post back with the session's CSRF token; the
sign-in form, sent before any session exists, uses a double-submit cookie instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord import input_errors
from accord.config import Settings
from accord.errors import AccordError, Forbidden, InvalidInput
from accord.identity import schemas, service, signin
from accord.identity.permissions import Permission, Role
from accord.identity.principal import Principal
from accord.identity.secrets import new_secret, same
from accord.web import i18n as web_i18n
from accord.web.deps import NodeDep, SessionDep
from accord.web.middleware import csp_with_form_targets
from accord.web.security import SESSION_COOKIE, require

router = APIRouter(include_in_schema=False)
PRE_SESSION_CSRF = "accord_presession"


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    base = {"principal": principal, "node": request.app.state.node.identity}
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    return response


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
) -> HTMLResponse:
    return render(request, "home.html", {})


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request,
    node: NodeDep,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
    next: str = "/account",
) -> HTMLResponse:
    return sign_in_form(request, node.settings, next_url=next)


def sign_in_form(
    request: Request,
    settings: Settings,
    *,
    next_url: str,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    token = new_secret()
    response = render(
        request,
        "sign_in.html",
        {
            "csrf_token": token,
            "next": safe_next(next_url),
            "error": error,
            "email": email,
            "password_sign_in": settings.password_sign_in,
            "providers": settings.oidc_providers,
        },
        status_code=status_code,
    )
    response.headers["content-security-policy"] = csp_with_form_targets(
        p.issuer for p in settings.oidc_providers
    )
    response.set_cookie(
        PRE_SESSION_CSRF,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/sign-in",
    )
    return response


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    session: SessionDep,
    node: NodeDep,
    _: Annotated[Principal | None, Depends(require(Permission.PUBLIC))],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/account",
) -> Response:
    cookie = request.cookies.get(PRE_SESSION_CSRF, "")
    if not csrf_token or not cookie or not same(csrf_token, cookie):
        raise Forbidden(
            "this form was sent without a valid CSRF token",
            code="csrf-failed",
            hint="reload the sign-in page and try again",
        )
    settings = node.settings
    if not settings.password_sign_in:
        raise Forbidden(
            "sign-in with a password is turned off on this node",
            code="identity.password-sign-in-off",
            hint="use one of the identity providers on the sign-in page",
        )
    policy = service.SignInPolicy(
        max_failures=settings.signin_max_failures,
        lockout=timedelta(minutes=settings.signin_lockout_minutes),
        per_address=settings.signin_per_address,
    )
    client = request.client.host if request.client else "unknown"
    try:
        user = service.authenticate_password(session, email, password, client=client, policy=policy)
    except AccordError as error:
        session.commit()  # keep the failure counters
        return sign_in_form(
            request,
            settings,
            next_url=next,
            error=error.message,
            email=email,
            status_code=error.status,
        )
    step = signin.first_factor_passed(session, user, settings, safe_next(next))
    session.commit()
    response = step_response(step, settings)
    response.delete_cookie(PRE_SESSION_CSRF, path="/sign-in")
    return response


def step_response(step: signin.Signed | signin.SecondStep, settings: Settings) -> Response:
    """After a first factor: the session cookie and the next page, or the second step."""
    if isinstance(step, signin.SecondStep):
        response = RedirectResponse("/sign-in/second-step", status_code=303)
        response.set_cookie(
            signin.FLOW_COOKIE,
            step.secret,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/sign-in",
            max_age=int(signin.FLOW_LIFETIME.total_seconds()),
        )
        return response
    response = RedirectResponse(safe_next(step.next_url), status_code=303)
    if step.language:
        web_i18n.remember(response, step.language)
    response.set_cookie(
        SESSION_COOKIE,
        step.secret,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(signin.FLOW_COOKIE, path="/sign-in")
    return response


def safe_next(target: str) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/account"
    return target


@router.post("/sign-out")
def sign_out(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        service.end_web_session(session, secret)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
) -> HTMLResponse:
    user = service.get_user(session, principal.user_id)
    return render(
        request,
        "account.html",
        {
            "user": user,
            "accreditations": service.accreditations_of(session, user.id),
            "tokens": service.list_tokens(session, user.id),
        },
    )


@router.post("/account/preferences")
def account_preferences(
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.SIGNED_IN))],
    language: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The account's language: kept for emails, and by this browser from now on."""
    try:
        data = schemas.Preferences(language=language or None)
    except ValidationError as invalid:
        raise InvalidInput(
            input_errors.message(invalid.errors()[0]), code="identity.unknown-language"
        ) from None
    user = service.set_preferences(session, principal, data)
    session.commit()
    response = RedirectResponse("/account", status_code=303)
    web_i18n.remember(response, user.language)
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.USER_READ))],
    cursor: str | None = None,
) -> HTMLResponse:
    return _users_page(request, session, cursor=cursor)


def _users_page(
    request: Request,
    session: SessionDep,
    *,
    cursor: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    created: tuple[str, str | None] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    users, next_cursor = service.list_users(session, limit=50, cursor=cursor)
    orgs, _ = service.list_organisations(session, limit=200)
    return render(
        request,
        "admin_users.html",
        {
            "users": users,
            "next_cursor": next_cursor,
            "organisations": orgs,
            "roles": list(Role),
            "errors": errors or {},
            "form": form or {},
            "created": created,
        },
        status_code=status_code,
    )


@router.post("/admin/users", response_class=HTMLResponse)
def admin_add_user(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.USER_CREATE))],
    name: Annotated[str, Form(max_length=300)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    orcid: Annotated[str, Form(max_length=40)] = "",
    organisation_id: Annotated[str, Form(max_length=40)] = "",
    role: Annotated[str, Form(max_length=40)] = Role.RESEARCHER.value,
) -> HTMLResponse:
    form = {
        "name": name,
        "email": email,
        "country": country,
        "orcid": orcid,
        "role": role,
    }
    form["organisation_id"] = organisation_id
    try:
        data = schemas.UserCreate(
            name=name,
            email=email,
            country=country,
            orcid=orcid or None,
            organisation_id=organisation_id or None,
            roles=[role],
        )
        user, password = service.create_user(session, principal, data)
        session.commit()
    except ValidationError as invalid:
        errors = {str(e["loc"][0]): input_errors.message(e) for e in invalid.errors()}
        return _users_page(request, session, errors=errors, form=form, status_code=422)
    except AccordError as error:
        session.rollback()
        errors = {e.location: e.message for e in error.errors} or {"form": error.message}
        return _users_page(request, session, errors=errors, form=form, status_code=error.status)
    return _users_page(request, session, created=(user.email, password), status_code=201)

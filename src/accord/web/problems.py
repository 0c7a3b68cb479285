"""Every error as an RFC 9457 ``application/problem+json`` document with a stable ``type``.

Browsers asking for HTML get the same information as a page (and a redirect to sign in on 401).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.errors import (
    AccordError,
    BadRequest,
    Conflict,
    InternalError,
    InvalidInput,
    MethodNotAllowed,
    NodeUnavailable,
    NotFound,
    Unauthenticated,
)
from accord.i18n.translate import _l
from accord.input_errors import field_errors, listed

log = logging.getLogger("accord.web")
PROBLEM_JSON = "application/problem+json"

_SOURCES = ("body", "query", "path", "header", "cookie")
_STATUS_ERRORS: dict[int, type[AccordError]] = {
    400: BadRequest,
    404: NotFound,
    405: MethodNotAllowed,
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(AccordError, _accord_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _database_down)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def problem_response(request: Request, error: AccordError) -> Response:
    if _wants_html(request):
        return _html_problem(request, error)
    headers: dict[str, str] = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="accord"'
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/ga4gh/", "/log/", "/.well-known/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _html_problem(request: Request, error: AccordError) -> Response:
    if isinstance(error, Unauthenticated) and request.method == "GET":
        return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
    from accord.web.pages import render

    return render(request, "error.html", {"error": error}, status_code=error.status)


async def _accord_error(request: Request, exc: AccordError) -> Response:
    return problem_response(request, exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = field_errors(exc.errors(), skip=_SOURCES)
    return problem_response(
        request,
        InvalidInput(
            _l("invalid input: %(problems)s", problems=listed(errors))
            if errors
            else _l("the request is invalid"),
            code="validation",
            errors=errors,
        ),
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    kind = _STATUS_ERRORS.get(exc.status_code)
    if exc.status_code == 404:
        error: AccordError = NotFound(
            _l("nothing here: %(path)s", path=request.url.path), code="not-found"
        )
    elif exc.status_code == 405:
        error = MethodNotAllowed(
            _l(
                "%(method)s is not allowed on %(path)s",
                method=request.method,
                path=request.url.path,
            ),
            code="method-not-allowed",
        )
    elif kind is not None:
        error = kind(str(exc.detail))
    else:
        error = BadRequest(str(exc.detail), code=f"http-{exc.status_code}", status=exc.status_code)
    return problem_response(request, error)


async def _integrity_error(request: Request, exc: IntegrityError) -> Response:
    log.info("integrity error on %s: %s", request.url.path, exc.orig)
    return problem_response(
        request,
        Conflict(_l("this conflicts with a record that exists already"), code="conflict"),
    )


async def _database_down(request: Request, exc: OperationalError) -> Response:
    log.error("database error on %s: %s", request.url.path, exc.orig)
    return problem_response(
        request,
        NodeUnavailable(_l("the node's database is not answering; try again shortly")),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        InternalError(
            _l("something went wrong on the node; the error was logged"), code="internal"
        ),
    )

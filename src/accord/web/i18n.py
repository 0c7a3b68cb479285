"""The reader's language for each request, and the Jinja environment's gettext and formats.

The language is, in order: ``?lang=`` (the switcher; remembered in a cookie for a year), the
``accord_lang`` cookie (also set at sign-in from the account's language), the browser's
``Accept-Language``, the signed-in account's language, then English. A pure ASGI middleware
sets it in a context variable once per request; catalogues are loaded once per process.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from markupsafe import Markup
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord import labels
from accord.i18n import formats
from accord.i18n.locales import LANGUAGES, SOURCE, from_accept_language, language, supported
from accord.i18n.translate import (
    Translatable,
    _current,
    current_locale,
    gettext,
    ngettext,
    pgettext,
)

COOKIE = "accord_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
_NAMED = "accord.language_named"  # did the request name its language (query, cookie, header)?
_LOCALISED_TYPES = (b"text/html", b"application/problem+json")


class Language:
    """Pure ASGI middleware: choose the request's language and say which one answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chosen = _from_query(scope.get("query_string", b""))
        cookie, accept = _header(scope, b"cookie"), _header(scope, b"accept-language")
        code = chosen or choose(cookie, accept)
        scope[_NAMED] = bool(chosen or _remembered(cookie) or from_accept_language(accept))
        token = _current.set(code)

        async def send_localised(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = _localised_headers(headers, current_locale())
                if chosen:
                    message["headers"].append((b"set-cookie", _cookie(chosen)))
            await send(message)

        try:
            await self.app(scope, receive, send_localised)
        finally:
            _current.reset(token)


def choose(cookie_header: str | None, accept_language: str | None) -> str:
    """The language for a request without ``?lang=``: the remembered choice, else the browser's."""
    return _remembered(cookie_header) or from_accept_language(accept_language) or SOURCE


def prefer_account_language(scope: Scope, code: str | None) -> None:
    """Answer in the account's language when the request itself named none (an API client
    sending no ``Accept-Language``); called once the caller is known."""
    if code and not scope.get(_NAMED, True):
        _current.set(code if supported(code) else SOURCE)


def _remembered(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except CookieError:  # a malformed header only loses the preference
        return None
    return supported(cookie[COOKIE].value) if COOKIE in cookie else None


def remember(response: Response, code: str | None) -> None:
    """Have the browser keep ``code`` as its language (an account's setting); None: forget it."""
    if code is None:
        response.delete_cookie(COOKIE, path="/")
    else:
        response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, path="/", samesite="lax")


def install(environment: jinja2.Environment) -> None:
    """gettext callables and locale-aware filters for the templates."""
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    # A message composed with values (an error's, a notification's) is shown in the page's
    # language wherever a template prints it.
    environment.finalize = shown
    environment.globals.update(
        current_locale=current_locale,
        language=lambda: language(current_locale()),
        languages=LANGUAGES,
        lang_attributes=lang_attributes,
        language_url=language_url,
    )
    environment.filters.update(
        format_date=formats.format_date,
        format_datetime=formats.format_datetime,
        format_number=formats.format_number,
        format_percent=formats.format_percent,
        format_size=formats.format_size,
        localised=localised,
        # a data value (tier, state, role) as people read it: {{ v.tier | label("tier") }}
        label=shown_label,
        # gettext of a value (an error's message): plain text, escaped like any other value.
        translated=gettext,
    )


def shown(value: Any) -> Any:
    """What ``{{ value }}`` prints: translatable text in the reader's language, else the value."""
    return value.render() if isinstance(value, Translatable) else value


def shown_label(value: Any, kind: str) -> str:
    """``value`` of ``kind`` (see :mod:`accord.labels`) in the page's language."""
    return gettext(labels.label(kind, value))


def localised(values: Any, attribute: str = "lang") -> Any:
    """Of several language versions of one thing (titles with ``lang``), the reader's one.

    Falls back to English, then to the version without a language, then to the first.
    """
    items = list(values or [])
    if not items:
        return None
    by_lang: dict[str | None, Any] = {}
    for item in items:
        tag = getattr(item, attribute, None)
        by_lang.setdefault(supported(tag) if tag else None, item)
    for key in (current_locale(), SOURCE, None):
        if key in by_lang:
            return by_lang[key]
    return items[0]


def language_url(request: Any, code: str) -> str:
    """This page in another language: the same path and query with ``lang`` replaced."""
    query = [(k, v) for k, v in parse_qsl(request.url.query) if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', code)])}"


def lang_attributes(tag: str | None) -> Markup:
    """``lang``/``dir`` attributes for content that may not be in the page's language.

    Content in the reader's language needs none; content in another language says which (and
    its direction); content of unknown language lets the browser find its direction.
    """
    code = supported(tag) if tag else None
    if tag and code == current_locale():
        return Markup("")
    if not tag:
        return Markup(' dir="auto"')
    direction = ("rtl" if language(code).rtl else "ltr") if code else "auto"
    return Markup(' lang="{}" dir="{}"').format(tag, direction)


def _from_query(query: bytes) -> str | None:
    if b"lang=" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "lang":
            return supported(value)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _localised_headers(headers: list[tuple[bytes, bytes]], code: str) -> list[tuple[bytes, bytes]]:
    content_type = next((v for k, v in headers if k == b"content-type"), b"")
    if not content_type.startswith(_LOCALISED_TYPES):
        return headers
    headers.append((b"content-language", code.encode()))
    headers.append((b"vary", b"Accept-Language, Cookie"))
    return headers


def _cookie(code: str) -> bytes:
    return f"{COOKIE}={code}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax".encode()

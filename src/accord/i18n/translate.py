"""gettext against the locale in effect (a context variable), with catalogues loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from accord.i18n.locales import CODES, SOURCE

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
_current: ContextVar[str] = ContextVar("accord_locale", default=SOURCE)


def current_locale() -> str:
    return _current.get()


def set_locale(code: str) -> None:
    """Make ``code`` the locale of the current context (a request, a CLI run)."""
    _current.set(code if code in CODES else SOURCE)


@contextmanager
def use_locale(code: str) -> Iterator[None]:
    """Translate in ``code`` inside the block (an email to someone who reads another language)."""
    token = _current.set(code if code in CODES else SOURCE)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of ``code`` (English, the source language, needs none)."""
    if code == SOURCE or code not in CODES:
        return NullTranslations()
    return Translations.load(LOCALE_DIR, [code], DOMAIN)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return str(translations(_current.get()).pgettext(context, message))


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown (``gettext(value)``)."""
    return message

"""gettext against the locale in effect (a context variable), with catalogues loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
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
    """``message`` in the locale in effect; a :class:`Translatable` is rendered with its values."""
    if isinstance(message, Translatable):
        return message.render()
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return str(translations(_current.get()).pgettext(context, message))


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown (``gettext(value)``)."""
    return message


class Translatable(str):
    """A message composed with values that is still translatable where it is shown.

    It *is* the English text (a ``str``: logs, the ledger and string operations see English),
    and it keeps its msgid and values, so ``gettext(text)`` (the ``translated`` filter, problem
    documents, the CLI) renders it again in the reader's language. Values that are themselves
    translatable are translated too; dates and times are written the reader's way.
    """

    msgid: str
    plural: str | None
    values: dict[str, object]
    context: str | None = None

    def __new__(cls, msgid: str, plural: str | None = None, /, **values: object) -> Translatable:
        with use_locale(SOURCE):
            english = _render(msgid, plural, values)
        text = super().__new__(cls, english)
        text.msgid, text.plural, text.values = msgid, plural, values
        return text

    def render(self) -> str:
        """The text in the locale in effect."""
        if self.context is not None:
            return pgettext(self.context, self.msgid)
        return _render(self.msgid, self.plural, self.values)


def _l(message: str, /, **values: object) -> Translatable:
    """Mark ``message`` (with ``%(name)s`` placeholders) for translation where it is shown."""
    return Translatable(message, None, **values)


def _pl(context: str, message: str, /) -> Translatable:
    """Like :func:`_l` for a word whose translation depends on ``context`` (``pgettext``)."""
    text = Translatable(message)
    text.context = context
    return text


def NP_(context: str, message: str, /) -> str:
    """Mark ``message`` in ``context`` for extraction; translated where shown (``_pl``)."""
    return message


def _nl(singular: str, plural: str, count: int, /, **values: object) -> Translatable:
    """Like :func:`_l` with a plural form chosen by ``count`` (also a ``%(count)s`` value)."""
    return Translatable(singular, plural, count=count, **values)


def _render(msgid: str, plural: str | None, values: dict[str, object]) -> str:
    catalogue = translations(_current.get())
    if plural is None:
        text = catalogue.gettext(msgid)
    else:
        count = values.get("count")
        text = catalogue.ngettext(msgid, plural, count if isinstance(count, int) else 1)
    if not values:
        return text
    return text % {name: _shown(value) for name, value in values.items()}


def _shown(value: object) -> object:
    from accord.i18n import formats  # formats reads the locale from this module

    if isinstance(value, Translatable):
        return value.render()
    if isinstance(value, datetime):
        return formats.format_datetime(value)
    if isinstance(value, date):
        return formats.format_date(value)
    return value

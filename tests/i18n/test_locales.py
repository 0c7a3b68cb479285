"""Choosing the reader's language, and writing dates, numbers and sizes their way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.i18n import formats
from accord.i18n.locales import from_accept_language, from_environment, supported
from accord.i18n.translate import current_locale, gettext, ngettext, use_locale


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de-DE, pt-BR;q=0.7, en;q=0.5", "pt"),
        ("en;q=0.2, ar;q=0.9", "ar"),
        ("es-419", "es"),
        ("*", None),
        ("de, it", None),
        ("fr;q=0, es", "es"),
        ("fr;q=nonsense, es;q=0.1", "es"),
    ],
)
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert from_accept_language(header) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "LC_ALL": "ar_EG.UTF-8"}, "ar"),
        ({"LANG": "fr_FR.UTF-8", "ACCORD_LANG": "pt"}, "pt"),
        ({"ACCORD_LANG": "klingon", "LANG": "es_ES"}, "es"),
        ({"LANGUAGE": "de:pt_BR", "LANG": "en_US"}, "pt"),
    ],
)
def test_cli_language_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert from_environment(environ) == expected


def test_supported_tags() -> None:
    assert supported("pt_BR.UTF-8") == "pt"
    assert supported("ar-EG") == "ar"
    assert supported("de") is None
    assert supported("../../etc") is None


def test_gettext_follows_the_locale_in_effect() -> None:
    assert current_locale() == "en"
    with use_locale("fr"):
        assert gettext("Request access") == "Demander l’accès"
        assert ngettext("%(count)s unread message", "%(count)s unread messages", 2) % {
            "count": 2
        } == ("2 messages non lus")
        with use_locale("ar"):
            assert gettext("Sign in") == "تسجيل الدخول"
        assert current_locale() == "fr"
    assert gettext("Request access") == "Request access"
    assert gettext("a string nobody translated") == "a string nobody translated"


def test_arabic_has_six_plural_forms() -> None:
    with use_locale("ar"):
        forms = [
            ngettext("%(count)s unread message", "%(count)s unread messages", n)
            for n in (0, 1, 2, 5)
        ]
    assert len(set(forms)) == 4  # zero, one, two and few differ (many and other may agree)


@pytest.mark.parametrize(
    ("code", "size", "number", "moment"),
    [
        ("en", "1.5 MB", "12,345.6", "Jan 2, 2026, 3:04:00\u202fAM UTC"),
        ("fr", "1,5\u202fMo", "12\u202f345,6", "2 janv. 2026, 03:04:00 UTC"),
        ("pt", "1,5 MByte", "12.345,6", "2 de jan. de 2026 03:04:00 UTC"),
    ],
)
def test_formats_follow_the_locale(code: str, size: str, number: str, moment: str) -> None:
    with use_locale(code):
        assert formats.format_size(1_572_864) == size
        assert formats.format_number(12345.6) == number
        assert formats.format_datetime(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == moment
        assert formats.format_size(None) == formats.format_date(None) == ""

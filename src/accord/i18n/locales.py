"""The languages the node ships, and how a reader's language is chosen among them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as the switcher shows it
    rtl: bool = False


SOURCE = "en"
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("fr", "Français"),
    Language("es", "Español"),
    Language("pt", "Português"),
    Language("ar", "العربية", rtl=True),
)
CODES: frozenset[str] = frozenset(language.code for language in LANGUAGES)
_BY_CODE = {language.code: language for language in LANGUAGES}


def language(code: str) -> Language:
    return _BY_CODE.get(code, _BY_CODE[SOURCE])


def supported(tag: str | None) -> str | None:
    """The shipped language matching a BCP 47 or POSIX tag (``pt-BR``, ``fr_CA.UTF-8``), if any."""
    if not tag:
        return None
    base = tag.strip().split(".")[0].split("@")[0].replace("_", "-")
    if not base or base in ("*", "C", "POSIX"):
        return None
    try:
        code = Locale.parse(base, sep="-").language
    except (ValueError, UnknownLocaleError):
        code = base.split("-")[0].lower()
    return code if code in CODES else None


def from_accept_language(header: str | None) -> str | None:
    """The best shipped language for an HTTP ``Accept-Language`` header (RFC 9110 §12.5.4)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        weight = _quality(params)
        code = supported(tag)
        if code and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def from_environment(environ: Mapping[str, str]) -> str:
    """The CLI's language: ``ACCORD_LANG``, else the POSIX locale (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``), else English."""
    for name in ("ACCORD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for tag in environ.get(name, "").split(":"):
            if code := supported(tag):
                return code
    return SOURCE

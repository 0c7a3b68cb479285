"""Jurisdictions named in agreements: ISO 3166-1 alpha-2 countries and two legal groups.

``EU`` is the 27 member states of the European Union; ``EEA`` is the EU plus Iceland,
Liechtenstein and Norway. Groups are expanded to countries when an agreement is compiled.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from accord.identifiers import country_name, normalise_country

EU = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
GROUPS: dict[str, frozenset[str]] = {"EU": EU, "EEA": EU | {"IS", "LI", "NO"}}
_GROUP_NAMES = {"EU": "the European Union", "EEA": "the European Economic Area"}


def normalise_jurisdiction(value: Any) -> str:
    """``br`` → ``BR``; ``eu`` → ``EU``; anything else is an unknown country."""
    if not isinstance(value, str):
        raise PydanticCustomError("unknown_country", "a jurisdiction is a two-letter code")
    code = value.strip().upper()
    if code in GROUPS:
        return code
    try:
        return normalise_country(code)
    except ValueError:
        raise PydanticCustomError(
            "unknown_country",
            "'{value}' is not an ISO 3166-1 alpha-2 country code or one of EU, EEA",
            {"value": value},
        ) from None


def countries(codes: Iterable[str]) -> frozenset[str]:
    """The countries a list of jurisdictions covers (groups expanded)."""
    out: set[str] = set()
    for code in codes:
        out |= GROUPS.get(code, {code})
    return frozenset(out)


@cache
def jurisdiction_name(code: str) -> str:
    return _GROUP_NAMES.get(code) or country_name(code)


def names(codes: Iterable[str], conjunction: str = "and") -> str:
    """``BR, PT`` → ``Brazil and Portugal`` (or ``Brazil or Portugal``)."""
    spelled = [jurisdiction_name(code) for code in codes]
    if len(spelled) <= 1:
        return "".join(spelled)
    return ", ".join(spelled[:-1]) + f" {conjunction} " + spelled[-1]


Jurisdiction = Annotated[
    str,
    BeforeValidator(normalise_jurisdiction),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{2,3}$", "examples": ["BR", "EU"]}),
]

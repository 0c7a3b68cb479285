"""Identifiers of people, organisations and places, validated once at the edge.

- ORCID iD: 16 characters, ISO 7064 MOD 11-2 check character (orcid.org "Structure of the ORCID
  Identifier").
- ROR id: ``0`` + 6 Crockford base32 characters + a 2-digit ISO 7064 MOD 97-10 checksum.
- Country: ISO 3166-1 alpha-2, checked against the ISO tables shipped by pycountry.

Each type is an ``Annotated[str, …]`` usable in pydantic models; the validators normalise
(``https://orcid.org/…`` → bare iD, ``https://ror.org/…`` → bare id, ``br`` → ``BR``).
"""

from __future__ import annotations

import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator

_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_ROR = re.compile(r"^(?:https?://ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6})(\d{2})$")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def orcid_check_char(base_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 15 digits."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str) -> str:
    match = _ORCID.match(value.strip().upper().replace("HTTPS://ORCID.ORG/", "https://orcid.org/"))
    if not match:
        raise ValueError("an ORCID iD looks like 0000-0002-1825-0097")
    digits = "".join(match.groups())
    if orcid_check_char(digits[:15]) != digits[15]:
        raise ValueError(f"ORCID iD {value!r} fails its checksum (ISO 7064 MOD 11-2)")
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def ror_checksum(body: str) -> str:
    """ISO 7064 MOD 97-10 over the base32 value of the 7-character body, as two digits."""
    number = 0
    for char in body:
        number = number * 32 + _CROCKFORD.index(char)
    return f"{98 - (number * 100) % 97:02d}"


def normalise_ror(value: str) -> str:
    match = _ROR.match(value.strip().lower())
    if not match:
        raise ValueError("a ROR id looks like 05gq02987 (or https://ror.org/05gq02987)")
    body, check = match.groups()
    if ror_checksum(body) != check:
        raise ValueError(f"ROR id {value!r} fails its checksum")
    return body + check


def normalise_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. BR, DE, KE)")
    return code


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code


OrcidId = Annotated[str, AfterValidator(normalise_orcid)]
RorId = Annotated[str, AfterValidator(normalise_ror)]
CountryCode = Annotated[str, AfterValidator(normalise_country)]

"""Identifier syntax: version persistent ids, DOIs and DataCite related identifiers.

- Persistent id of a dataset version: ``<node>/<dataset>@v<n>`` (DESIGN.md conventions).
- DOI: ``10.<registrant>/<suffix>`` (DOI Handbook §2.2), accepted bare or as a doi.org URL.
- Related identifiers: checked per ``relatedIdentifierType`` (DataCite 4.5, property 12.a) where
  the type has a checkable syntax (check digits for ISBN and ISSN).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")
_PID = re.compile(r"^(?P<node>[a-z0-9][a-z0-9-]{1,39})/(?P<dataset>ds_[0-9A-Z]{26})@v(?P<n>\d+)$")
_VERSION_REF = re.compile(r"^(?P<dataset>ds_[0-9A-Z]{26})(?:@v(?P<n>\d+))?$")
_HANDLE = re.compile(r"^\d+(\.\d+)*/\S+$")
_ARK = re.compile(r"^ark:/?\d{5,9}/\S+$")
_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$", re.IGNORECASE)
_ARXIV = re.compile(r"^(arXiv:)?(\d{4}\.\d{4,5}(v\d+)?|[a-z-]+(\.[A-Z]{2})?/\d{7}(v\d+)?)$")
_PMID = re.compile(r"^\d{1,9}$")
_DIGITS_X = re.compile(r"[^0-9X]")
_Checker = Callable[[str], str]


@dataclass(frozen=True)
class VersionRef:
    """A dataset id with an optional version number (``ds_…@v2``; ``ds_…`` means the latest)."""

    dataset_id: str
    number: int | None


def version_pid(node_id: str, dataset_id: str, number: int) -> str:
    return f"{node_id}/{dataset_id}@v{number}"


def parse_pid(pid: str) -> tuple[str, str, int]:
    """``(node, dataset, n)`` of a version persistent id, or ``ValueError``."""
    match = _PID.match(pid.strip())
    if not match:
        raise ValueError("a persistent id looks like node-id/ds_01J…@v1")
    return match["node"], match["dataset"], int(match["n"])


def parse_version_ref(ref: str) -> VersionRef:
    """``ds_…``, ``ds_…@v2`` or a persistent id ``node/ds_…@v2``, as a ``VersionRef``."""
    text = ref.strip()
    if "/" in text:
        _, dataset, number = parse_pid(text)
        return VersionRef(dataset, number)
    match = _VERSION_REF.match(text)
    if not match:
        raise ValueError(f"{ref!r} is not a dataset reference (ds_…, ds_…@v2 or node/ds_…@v2)")
    return VersionRef(match["dataset"], int(match["n"]) if match["n"] else None)


def normalise_doi(value: str) -> str:
    text = value.strip()
    for prefix in _DOI_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    if not _DOI.match(text):
        raise ValueError("a DOI looks like 10.1234/abc-def (or https://doi.org/10.1234/abc-def)")
    return text


def check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value.strip():
        raise ValueError("a URL starts with https:// or http:// and names a host")
    return value.strip()


def check_related_identifier(kind: str, value: str) -> str:
    """``value`` normalised for its DataCite ``relatedIdentifierType``, or ``ValueError``."""
    checker = _CHECKERS.get(kind)
    return checker(value) if checker else _non_empty(value)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("the identifier is empty")
    return value.strip()


def _pattern(pattern: re.Pattern[str], example: str) -> _Checker:
    def check(value: str) -> str:
        if not pattern.match(value.strip()):
            raise ValueError(f"expected something like {example}")
        return value.strip()

    return check


def _isbn(value: str) -> str:
    digits = _DIGITS_X.sub("", value.upper())
    if len(digits) == 10 and _isbn10_ok(digits):
        return value.strip()
    if len(digits) == 13 and digits.isdigit() and _ean13_ok(digits):
        return value.strip()
    raise ValueError("not a valid ISBN-10 or ISBN-13 (check digit)")


def _isbn10_ok(digits: str) -> bool:
    if not digits[:9].isdigit():
        return False
    total = sum((10 - i) * int(d) for i, d in enumerate(digits[:9]))
    check = 10 if digits[9] == "X" else int(digits[9])
    return (total + check) % 11 == 0


def _ean13_ok(digits: str) -> bool:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return total % 10 == 0


def _issn(value: str) -> str:
    digits = _DIGITS_X.sub("", value.upper())
    if len(digits) == 8 and digits[:7].isdigit():
        total = sum((8 - i) * int(d) for i, d in enumerate(digits[:7]))
        check = (11 - total % 11) % 11
        if digits[7] == ("X" if check == 10 else str(check)):
            return value.strip()
    raise ValueError("not a valid ISSN (NNNN-NNNC with its check digit)")


def _doi(value: str) -> str:
    return normalise_doi(value)


_CHECKERS: dict[str, _Checker] = {
    "DOI": _doi,
    "URL": check_url,
    "PURL": check_url,
    "w3id": check_url,
    "Handle": _pattern(_HANDLE, "20.500.12345/abc"),
    "ARK": _pattern(_ARK, "ark:/12345/x54xz321"),
    "URN": _pattern(_URN, "urn:nbn:de:101:1-2019"),
    "arXiv": _pattern(_ARXIV, "arXiv:2101.00001"),
    "PMID": _pattern(_PMID, "31452104"),
    "ISBN": _isbn,
    "ISSN": _issn,
    "EISSN": _issn,
    "LISSN": _issn,
}

Doi = Annotated[str, AfterValidator(normalise_doi)]
HttpUrl = Annotated[str, AfterValidator(check_url)]

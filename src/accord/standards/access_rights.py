"""How each tier (DESIGN.md, Tiers) reads in the vocabularies harvesters know.

- COAR / OpenAIRE access rights (``info:eu-repo/semantics/…``), carried as a DataCite ``rights``
  entry (OpenAIRE Guidelines for Data Archives, field "Rights").
- The EU Publications Office access-right authority table, DCAT-AP 3 ``dct:accessRights``.
"""

from __future__ import annotations

from accord.catalog.metadata import Tier

EU_REPO_PREFIX = "info:eu-repo/semantics/"
EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"

_EU_REPO: dict[Tier, tuple[str, str]] = {
    Tier.OPEN: ("openAccess", "Open Access"),
    Tier.REGISTERED: ("restrictedAccess", "Restricted Access"),
    Tier.CONTROLLED: ("restrictedAccess", "Restricted Access"),
    Tier.RESTRICTED: ("closedAccess", "Closed Access"),
}
_EU_AUTHORITY: dict[Tier, str] = {
    Tier.OPEN: "PUBLIC",
    Tier.REGISTERED: "RESTRICTED",
    Tier.CONTROLLED: "RESTRICTED",
    Tier.RESTRICTED: "NON_PUBLIC",
}
_TIER_OF_EU_REPO = {"openAccess": Tier.OPEN, "closedAccess": Tier.RESTRICTED}


def eu_repo_rights(tier: Tier) -> tuple[str, str]:
    """``(rightsURI, label)`` of the COAR access right for ``tier``."""
    term, label = _EU_REPO[tier]
    return EU_REPO_PREFIX + term, label


def eu_access_right(tier: Tier) -> str:
    """The EU access-right authority IRI (DCAT-AP ``dct:accessRights``) for ``tier``."""
    return EU_ACCESS_RIGHT + _EU_AUTHORITY[tier]


def is_access_rights_uri(uri: str | None) -> bool:
    return bool(uri) and str(uri).startswith(EU_REPO_PREFIX)


def tier_from_rights_uri(uri: str) -> Tier | None:
    """The tier an imported COAR access right suggests (restricted access is ambiguous:
    registered or controlled, so it suggests nothing)."""
    return _TIER_OF_EU_REPO.get(uri.removeprefix(EU_REPO_PREFIX))

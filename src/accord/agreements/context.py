"""What a decision is about: who asks, for what purpose, in which mode, for how long, and when.

Values are validated once at the edge (``purpose_from_codes``, the API schemas); the engine reads
them as they are. Every time is timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from accord.agreements.decision import Mode
from accord.agreements.duo import Duo
from accord.agreements.durations import Duration
from accord.agreements.ontology import Vocabulary


class OrganisationKind(StrEnum):
    NOT_FOR_PROFIT = "not-for-profit"
    FOR_PROFIT = "for-profit"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Accreditation:
    """An accreditation the requester holds; valid while ``now < expires`` (None: no expiry)."""

    kind: str
    expires: datetime | None = None


@dataclass(frozen=True, slots=True)
class Sanction:
    """A sanction imposed on the requester; in force from ``starts`` until ``ends`` (None: open)."""

    id: str
    starts: datetime
    ends: datetime | None = None
    summary: str = ""

    def in_force(self, now: datetime) -> bool:
        return self.starts <= now and (self.ends is None or now < self.ends)


@dataclass(frozen=True, slots=True)
class Requester:
    country: str
    user: str | None = None
    organisation: str | None = None
    organisation_kind: OrganisationKind = OrganisationKind.UNKNOWN
    accreditations: tuple[Accreditation, ...] = ()
    sanctions: tuple[Sanction, ...] = ()


@dataclass(frozen=True, slots=True)
class Purpose:
    """A stated purpose in DUO terms.

    ``categories`` are DUO data-use permission terms (GRU, HMB, DS, POA); ``research_types`` are
    DUO research-type terms (method development, genetic research, ...); ``diseases`` are disease
    ontology ids (for DS).
    """

    categories: frozenset[str] = frozenset()
    diseases: frozenset[str] = frozenset()
    research_types: frozenset[str] = frozenset()
    commercial: bool = False
    clinical_care: bool = False
    ethics_approval: bool = False
    project: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    requester: Requester
    purpose: Purpose
    mode: Mode
    duration: Duration
    now: datetime
    node_country: str
    prior_uses: int = 0
    ends: datetime = field(init=False)
    """When the requested use would end (``now + duration`` on the calendar)."""

    def __post_init__(self) -> None:
        if self.mode is Mode.NONE:
            raise ValueError("a request asks for mode download or sandbox")
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        object.__setattr__(self, "now", self.now.astimezone(UTC))
        object.__setattr__(self, "ends", self.duration.after(self.now))


class UnknownPurposeTerm(ValueError):
    """A purpose named a term that is not a DUO purpose or research type."""


def purpose_from_codes(
    codes: Iterable[str],
    vocabulary: Vocabulary,
    *,
    diseases: Iterable[str] = (),
    commercial: bool = False,
    ethics_approval: bool = False,
    project: str | None = None,
) -> Purpose:
    """Build a ``Purpose`` from DUO codes as people write them (``HMB``, ``DUO:0000007``)."""
    categories: set[str] = set()
    research_types: set[str] = set()
    clinical_care = False
    for code in codes:
        term = vocabulary.duo.resolve(code)
        if term == Duo.CC:
            clinical_care = True
        elif term is not None and term != Duo.NRES and vocabulary.duo.is_permission(term):
            categories.add(term)
        elif term is not None and vocabulary.duo.is_research_type(term):
            research_types.add(term)
        else:
            raise UnknownPurposeTerm(
                f"{code!r} is not a DUO purpose (GRU, HMB, DS, POA), research type or CC"
            )
    unknown = [d for d in diseases if d not in vocabulary.diseases]
    if unknown:
        raise UnknownPurposeTerm(f"{unknown[0]!r} is not in the node's disease ontology")
    return Purpose(
        categories=frozenset(categories),
        diseases=frozenset(diseases),
        research_types=frozenset(research_types),
        clinical_care=clinical_care,
        commercial=commercial,
        ethics_approval=ethics_approval,
        project=project,
    )

"""The agreement document: what a steward writes (YAML or JSON) and what the node publishes.

The pydantic models below are the single source of the published JSON Schema
(``schema/agreement.schema.json``). They check shape; ``validation.py`` checks meaning against
the ontologies (DUO codes, disease terms) and across clauses (contradictions).

Sections: tier and licence; GA4GH DUO terms (one data-use permission, modifiers with their
parameters); a W3C ODRL 2.2 policy (permissions, prohibitions, obligations, constraints on
purpose, spatial, recipient, dateTime, elapsedTime, count); residency; export rules; required
accreditations; maximum grant duration; duties; the responsible committee; disclosure control
of sandbox outputs (``disclosure.py``).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    model_validator,
)

from accord.agreements.disclosure import DisclosureTerms
from accord.agreements.durations import Duration, IsoDuration
from accord.agreements.jurisdictions import Jurisdiction
from accord.identifiers import RorId

FORMAT: Literal[1] = 1

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
DuoCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=100),
    Field(description="A DUO term: shorthand (HMB) or CURIE (DUO:0000006)", examples=["HMB"]),
]
DiseaseId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z][A-Za-z0-9_]*:[0-9A-Za-z_]+$"),
    Field(description="A disease ontology id (MONDO)", examples=["MONDO:0004992"]),
]


def _as_tuple(value: Any) -> Any:
    """Let authors write one value where a list is expected (``countries: BR``)."""
    return (value,) if isinstance(value, str | int | float | dict) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(StrEnum):
    OPEN = "open"
    REGISTERED = "registered"
    CONTROLLED = "controlled"
    RESTRICTED = "restricted"


class Modifier(Strict):
    """A DUO data-use modifier and the parameters it takes (DUO definitions of each term)."""

    code: DuoCode
    countries: tuple[Jurisdiction, ...] = Field(default=(), description="GS: where use may happen")
    months: PositiveInt | None = Field(default=None, description="TS: months of use allowed")
    until: date | None = Field(default=None, description="MOR: no publication before this date")
    projects: tuple[Text, ...] = Field(default=(), description="PS: approved projects")
    users: tuple[Text, ...] = Field(default=(), description="US: approved users")
    institutions: tuple[RorId, ...] = Field(
        default=(), description="IS: approved institutions (ROR)"
    )
    research_types: tuple[DuoCode, ...] = Field(default=(), description="RS: DUO research types")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"code": value} if isinstance(value, str) else value


class DuoTerms(Strict):
    permission: DuoCode = Field(description="The data-use permission: NRES, GRU, HMB, DS or POA")
    diseases: tuple[DiseaseId, ...] = Field(default=(), description="DS: the diseases consented")
    modifiers: tuple[Modifier, ...] = ()


class PurposeConstraint(Strict):
    """ODRL ``purpose``: matched by DUO subsumption, so only set/class operators apply."""

    left_operand: Literal["purpose"]
    operator: Literal["isA", "isAnyOf", "isNoneOf"]
    right_operand: Annotated[tuple[DuoCode, ...], BeforeValidator(_as_tuple), Field(min_length=1)]


class SpatialConstraint(Strict):
    """ODRL ``spatial``: the requester's jurisdiction."""

    left_operand: Literal["spatial"]
    operator: Literal["eq", "neq", "isAnyOf", "isNoneOf"]
    right_operand: Annotated[
        tuple[Jurisdiction, ...], BeforeValidator(_as_tuple), Field(min_length=1)
    ]


class RecipientConstraint(Strict):
    """ODRL ``recipient``: the requester's organisation (ROR id)."""

    left_operand: Literal["recipient"]
    operator: Literal["eq", "neq", "isAnyOf", "isNoneOf"]
    right_operand: Annotated[tuple[RorId, ...], BeforeValidator(_as_tuple), Field(min_length=1)]


Ordering = Literal["eq", "neq", "lt", "lteq", "gt", "gteq"]


class DateTimeConstraint(Strict):
    """ODRL ``dateTime``: the time of the decision."""

    left_operand: Literal["dateTime"]
    operator: Literal["lt", "lteq", "gt", "gteq"]
    right_operand: AwareDatetime


class ElapsedTimeConstraint(Strict):
    """ODRL ``elapsedTime``: how long the requester asks to use the data."""

    left_operand: Literal["elapsedTime"]
    operator: Literal["lt", "lteq", "gt", "gteq"]
    right_operand: IsoDuration


class CountConstraint(Strict):
    """ODRL ``count``: which use this would be (earlier uses by the requester, plus one)."""

    left_operand: Literal["count"]
    operator: Ordering
    right_operand: NonNegativeInt


Constraint = Annotated[
    PurposeConstraint
    | SpatialConstraint
    | RecipientConstraint
    | DateTimeConstraint
    | ElapsedTimeConstraint
    | CountConstraint,
    Field(discriminator="left_operand"),
]

RuleAction = Literal[
    "use",
    "read",
    "reproduce",
    "distribute",
    "commercialize",
    "derive",
    "aggregate",
    "anonymize",
    "archive",
    "extract",
    "index",
    "modify",
    "transform",
    "transfer",
    "annotate",
    "display",
    "print",
]
DutyAction = Literal[
    "attribute",
    "inform",
    "delete",
    "obtainConsent",
    "anonymize",
    "reviewPolicy",
    "acceptTracking",
    "compensate",
]


class OdrlDuty(Strict):
    action: DutyAction
    note: LongText | None = None


class Permission(Strict):
    action: RuleAction
    constraints: tuple[Constraint, ...] = ()
    duties: tuple[OdrlDuty, ...] = ()


class Prohibition(Strict):
    action: RuleAction
    constraints: tuple[Constraint, ...] = ()


class OdrlPolicy(Strict):
    """An ODRL 2.2 policy (Information Model §2). Prohibitions always override permissions."""

    conflict: Literal["prohibit", "invalid"] = "prohibit"
    permissions: tuple[Permission, ...] = ()
    prohibitions: tuple[Prohibition, ...] = ()
    obligations: tuple[OdrlDuty, ...] = ()


class Residency(Strict):
    jurisdictions: Annotated[
        tuple[Jurisdiction, ...],
        BeforeValidator(_as_tuple),
        Field(min_length=1, description="Where the data may be stored or processed"),
    ]


class ExportRules(Strict):
    allowed: tuple[Jurisdiction, ...] | None = Field(
        default=None, description="Jurisdictions the data may be sent to (absent: any)"
    )
    forbidden: tuple[Jurisdiction, ...] = Field(
        default=(), description="Jurisdictions the data may never be sent to"
    )
    control_classification: Text | None = Field(
        default=None, description="Export-control classification, e.g. EAR99 or 5D002"
    )


class Cite(Strict):
    kind: Literal["cite"]
    citation: LongText | None = None


class ReportPublications(Strict):
    kind: Literal["report-publications"]
    within_months: PositiveInt


class DeleteAfterUse(Strict):
    kind: Literal["delete-after-use"]
    within_days: NonNegativeInt = 0


class OfferCoauthorship(Strict):
    kind: Literal["offer-coauthorship"]


class ReturnDerivedData(Strict):
    kind: Literal["return-derived-data"]
    within_months: PositiveInt | None = None


Duty = Annotated[
    Cite | ReportPublications | DeleteAfterUse | OfferCoauthorship | ReturnDerivedData,
    Field(discriminator="kind"),
]


class Review(StrEnum):
    EVERY_REQUEST = "every-request"
    EXCEPTIONS = "exceptions"


class Committee(Strict):
    name: Text
    decision_deadline: IsoDuration = Duration(days=30)
    review: Review = Field(
        default=Review.EVERY_REQUEST,
        description="every-request: the committee decides each request; "
        "exceptions: requests that meet every condition are granted without review",
    )
    contact: Text | None = None


class AgreementDocument(Strict):
    """A data-use agreement. Immutable once published; a change is a new version."""

    format: Literal[1] = Field(default=FORMAT, description="Version of this document format")
    title: Text
    summary: LongText | None = None
    tier: Tier
    licence: Text = Field(description="SPDX licence expression", examples=["CC-BY-4.0"])
    duo: DuoTerms
    odrl: OdrlPolicy = OdrlPolicy()
    residency: Residency | None = None
    export: ExportRules = ExportRules()
    accreditations: Annotated[
        tuple[Text, ...],
        Field(description="Accreditation kinds the requester must hold, unexpired"),
    ] = ()
    max_grant_duration: IsoDuration | None = None
    duties: tuple[Duty, ...] = ()
    committee: Committee | None = None
    disclosure: DisclosureTerms | None = Field(
        default=None,
        description="How sandbox outputs are checked (node defaults for what is left out)",
    )

    def as_data(self) -> dict[str, Any]:
        """The document as JSON-ready data, defaults left out (the canonical published form)."""
        return {"format": self.format} | self.model_dump(mode="json", exclude_defaults=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the project publishes for agreement documents."""
    schema = AgreementDocument.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "agreement.schema.json",
        **schema,
    }

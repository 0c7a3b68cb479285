"""The structured risk assessment of a dataset version, validated once at the edge."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator


class Category(StrEnum):
    PERSONAL = "personal"
    HEALTH = "health"
    GENOMIC = "genomic"
    LOCATION = "location"
    COMMERCIAL = "commercially-confidential"
    SECURITY = "security-relevant"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Mitigation(StrEnum):
    DE_IDENTIFIED = "de-identified"
    AGGREGATED_ONLY = "aggregated-only"
    CONSENT_FOR_SHARING = "consent-for-sharing"
    ETHICS_APPROVAL = "ethics-approval"
    ACCESS_AGREEMENT = "access-agreement"
    SECURE_ENVIRONMENT = "secure-environment"
    OUTPUT_CHECKING = "output-checking"
    DIFFERENTIAL_PRIVACY = "differential-privacy"


class Tier(StrEnum):
    OPEN = "open"
    REGISTERED = "registered"
    CONTROLLED = "controlled"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return list(Tier).index(self)


class Mode(StrEnum):
    DOWNLOAD = "download"
    SANDBOX = "sandbox"


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class Assessment(BaseModel):
    """What a steward judges about a dataset version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[Category] = Field(default_factory=list, max_length=len(Category))
    reidentification_risk: Level
    harm_if_misused: Level
    export_control: bool = False
    export_control_notes: Text = ""
    mitigations: list[Mitigation] = Field(default_factory=list, max_length=len(Mitigation))
    notes: Text = ""

    @field_validator("categories", "mitigations")
    @classmethod
    def _no_repeats(cls, value: list[StrEnum]) -> list[StrEnum]:
        if len(value) != len(set(value)):
            raise ValueError("each value may appear once")
        return sorted(value)


class Choice(BaseModel):
    """The tier and mode the steward chooses when they differ from the recommendation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Tier
    mode: Mode
    justification: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""

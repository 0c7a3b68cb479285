"""Request and response bodies of the agreements API (the CLI's ``--json`` prints the same)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, StringConstraints

from accord.agreements.context import OrganisationKind
from accord.agreements.durations import Duration, IsoDuration
from accord.identifiers import CountryCode, RorId

DatasetVersionId = Annotated[str, StringConstraints(pattern=r"^dv_[0-9A-Za-z]{1,37}$")]
DatasetRef = Annotated[str, StringConstraints(pattern=r"^(ds|dv)_[0-9A-Za-z]{1,37}$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionSummary(BaseModel):
    number: int
    ref: str
    state: str
    title: str
    tier: str
    sha256: str
    created_at: datetime
    published_at: datetime | None


class VersionOut(VersionSummary):
    id: str
    agreement_id: str
    document: dict[str, Any]


class AgreementOut(BaseModel):
    id: str
    created_at: datetime
    versions: list[VersionSummary]


class Section(BaseModel):
    heading: str
    lines: list[str]


class ExplanationOut(BaseModel):
    """An agreement version in plain language, beside its machine form."""

    ref: str
    title: str
    summary: str | None
    sections: list[Section]
    document: dict[str, Any]


class AttachmentIn(Strict):
    dataset_version_id: DatasetVersionId
    version: Annotated[int, Field(ge=1)]


class AttachmentOut(BaseModel):
    dataset_version_id: str
    agreement_id: str
    number: int
    ref: str
    attached_at: datetime


class AccreditationIn(Strict):
    kind: Code
    expires: datetime | None = None


class CheckIn(Strict):
    """A what-if question: may someone like this use the dataset for this purpose?"""

    dataset: DatasetRef
    purpose: Annotated[list[Code], Field(max_length=20)] = []
    diseases: Annotated[list[Code], Field(max_length=20)] = []
    country: CountryCode
    organisation: RorId | None = None
    organisation_kind: OrganisationKind = OrganisationKind.UNKNOWN
    accreditations: Annotated[list[AccreditationIn], Field(max_length=50)] = []
    commercial: bool = False
    ethics_approval: bool = False
    project: Code | None = None
    signed_in: bool = True
    mode: Literal["download", "sandbox"] = "download"
    duration: IsoDuration = Duration(months=12)
    prior_uses: NonNegativeInt = 0


class ClauseOut(BaseModel):
    kind: str
    ref: str
    term: str | None


class ReasonOut(BaseModel):
    effect: str
    code: str
    clause: ClauseOut
    text: str
    params: dict[str, str]


class ObligationOut(BaseModel):
    code: str
    clause: ClauseOut
    text: str
    params: dict[str, str]


class DecisionOut(BaseModel):
    agreement: str
    dataset_version_id: str
    outcome: str
    mode: str
    reasons: list[ReasonOut]
    obligations: list[ObligationOut]

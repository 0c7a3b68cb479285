"""Request and response documents of the catalog API (snake_case JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.catalog.metadata import DatasetMetadata


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FileOut(BaseModel):
    id: str
    path: str
    size: int
    sha256: str
    media_type: str
    created_at: datetime
    content_url: str


class VersionSummary(BaseModel):
    number: int
    state: Literal["draft", "published", "withdrawn"]
    pid: str
    title: str
    tier: str
    published_at: datetime | None
    withdrawn_at: datetime | None


class VersionOut(VersionSummary):
    id: str
    dataset_id: str
    licence: str
    doi: str | None
    metadata: dict[str, Any]
    files: list[FileOut]
    total_size: int
    created_at: datetime
    updated_at: datetime
    withdrawal_reason: str | None
    manifest_sha256: str | None
    citation: str


class DatasetOut(BaseModel):
    id: str
    organisation_id: str
    created_at: datetime
    current_version: int | None = Field(
        description="The newest published version (None before the first publication)"
    )
    versions: list[VersionSummary]


class DatasetCreated(BaseModel):
    dataset: DatasetOut
    version: VersionOut


class MetadataUpdate(DatasetMetadata):
    """The whole metadata document of a draft, replacing the previous one."""


class FileAttach(Strict):
    """Attach bytes to a draft: a finished resumable upload of the caller (``upload_id``), or,
    for the node's local operator only, a blob already in the store (``sha256``)."""

    path: str = Field(min_length=1, max_length=1024, description="Relative path, e.g. data/a.csv")
    upload_id: str | None = Field(default=None, min_length=1, max_length=60)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    media_type: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.upload_id is None) == (self.sha256 is None):
            raise ValueError("give either upload_id or sha256")
        return self


class WithdrawalIn(Strict):
    reason: str = Field(
        min_length=10, max_length=2000, description="Why (shown on the tombstone page)"
    )


class OrganisationRef(BaseModel):
    id: str
    name: str


class SearchHit(BaseModel):
    dataset_id: str
    version: int
    pid: str
    state: str
    title: str
    description: str
    tier: str
    licence: str
    country: str | None
    organisation: OrganisationRef
    year: int
    subjects: list[str]
    keywords: list[str]
    creators: list[str]
    published_at: datetime
    url: str


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchPage(BaseModel):
    items: list[SearchHit]
    total: int
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None = None


class TermsOut(BaseModel):
    dataset_id: str
    version: int
    tier: str
    terms: str
    terms_sha256: str
    accepted: bool | None = Field(description="None when nobody is signed in")


class AcceptanceOut(BaseModel):
    dataset_id: str
    version: int
    terms_sha256: str
    accepted_at: datetime


class ManifestOut(BaseModel):
    manifest: dict[str, Any]
    manifest_sha256: str
    signature: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str
    key_fingerprint: str


class VerificationProblem(BaseModel):
    dataset_id: str
    version: int
    path: str | None
    code: str
    message: str


class VerificationOut(BaseModel):
    ok: bool
    versions_checked: int
    files_checked: int
    blobs_checked: int
    problems: list[VerificationProblem]

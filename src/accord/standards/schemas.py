"""Request and response documents of the standards API (snake_case JSON)."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.catalog.metadata import Tier
from accord.standards.citations import Style
from accord.standards.exports import ExportName


class ExportOut(BaseModel):
    name: ExportName
    media_type: str
    title: str
    standard: str
    url: str


class ExportList(BaseModel):
    dataset_id: str
    version: int
    pid: str
    items: list[ExportOut]


class CitationOut(BaseModel):
    style: Style
    title: str
    text: str
    html: str


class CitationList(BaseModel):
    dataset_id: str
    version: int
    pid: str
    items: list[CitationOut]
    machine_readable: list[ExportOut] = Field(
        description="BibTeX, RIS and CSL-JSON of the same version"
    )


class CrateImport(BaseModel):
    """Import an RO-Crate: a ZIP archive sent first as a resumable upload (``upload_id``), or,
    for the node's local operator only, a blob already in the store (``sha256``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    upload_id: str | None = Field(default=None, min_length=1, max_length=60)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    organisation_id: str = Field(min_length=1, max_length=40)
    tier: Tier | None = Field(default=None, description="Required unless the crate implies one")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.upload_id is None) == (self.sha256 is None):
            raise ValueError("give either upload_id or sha256")
        return self


class IndexRebuild(BaseModel):
    records: int = Field(description="Harvest records written")

"""Request and response documents of the standards API (snake_case JSON)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
    """Import an RO-Crate (a ZIP archive sent first as a resumable upload)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    upload_id: str = Field(min_length=1, max_length=60)
    organisation_id: str = Field(min_length=1, max_length=40)
    tier: Tier | None = Field(default=None, description="Required unless the crate implies one")

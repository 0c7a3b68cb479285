"""Request and response documents of the de-identification API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.deid.report import Report
from accord.deid.scan import Finding

DatasetId = Annotated[str, StringConstraints(min_length=3, max_length=40)]
FileRef = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SourceIn(BaseModel):
    """A source file: dataset, version (newest published when omitted), file path or id."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: DatasetId
    version: int | None = Field(default=None, ge=1)
    file: FileRef | None = None


class PlanIn(BaseModel):
    """A source and a spec: a mapping, or YAML/JSON text."""

    model_config = ConfigDict(extra="forbid")

    source: SourceIn
    spec: dict[str, Any] | Annotated[str, StringConstraints(max_length=256 * 1024)]


class RunIn(PlanIn):
    publish: bool = Field(default=False, description="Publish the derived version at once")


class SourceOut(BaseModel):
    dataset_id: str
    version: int
    pid: str
    file_id: str
    path: str
    format: str


class ScanOut(BaseModel):
    source: SourceOut
    rows: int
    columns: list[str]
    findings: list[Finding]
    starter_spec: dict[str, Any]


class PlanOut(BaseModel):
    source: SourceOut
    findings: list[Finding]
    report: Report


class KeyDestruction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class DerivedOut(BaseModel):
    dataset_id: str
    version: int
    state: str
    file_id: str
    path: str
    sha256: str
    tier: str
    href: str


class DerivationOut(BaseModel):
    id: str
    source: SourceOut
    derived: DerivedOut
    spec: dict[str, Any]
    spec_sha256: str
    report: Report
    report_sha256: str
    k: int
    l: int | None  # noqa: E741 - the literature's name
    records_in: int
    records_out: int
    records_suppressed: int
    software: str
    key_state: str
    key_destroyed_at: datetime | None
    created_at: datetime
    provenance_href: str

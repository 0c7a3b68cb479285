"""Request and response documents of the sandbox API (snake_case JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from accord.i18n.translate import N_
from accord.sandbox.models import MICRO, Job, Output
from accord.sandbox.privacy import DpQuery
from accord.sandbox.sql import MAX_SQL_CHARS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JobCreate(Strict):
    """A job about one published dataset version: an SQL SELECT, or a DP measurement."""

    version_id: Annotated[str, StringConstraints(min_length=3, max_length=40)]
    sql: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SQL_CHARS)] | None = None
    dp: DpQuery | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.sql is None) == (self.dp is None):
            raise ValueError(N_("give either sql or dp"))
        return self


class JobError(BaseModel):
    code: str
    message: str


class JobOut(BaseModel):
    id: str
    kind: Literal["sql", "dp"]
    state: Literal["queued", "running", "checked", "released", "withheld", "failed"]
    progress: int = Field(description="Percent done while running (DuckDB's estimate)")
    dataset_id: str
    version_id: str
    grant_id: str
    query_sha256: str
    epsilon: float | None
    review_required: bool
    submitted_at: datetime
    started_at: datetime | None
    checked_at: datetime | None
    decided_at: datetime | None
    error: JobError | None
    result_url: str | None
    query: str = Field(description="The SQL, or the DP measurement as JSON")
    environment: dict[str, Any] | None = Field(
        default=None,
        description="What the job runs on: engine and library versions, the dataset version "
        "and the digest of each table",
    )
    rerun_of: str | None = Field(default=None, description="The job this one re-runs")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        error = (
            JobError(code=job.error_code, message=job.error_message or "")
            if job.error_code
            else None
        )
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state,
            progress=job.progress,
            dataset_id=job.dataset_id,
            version_id=job.version_id,
            grant_id=job.grant_id,
            query_sha256=job.query_sha256,
            epsilon=None if job.epsilon_micro is None else job.epsilon_micro / MICRO,
            review_required=job.review_required,
            submitted_at=job.submitted_at,
            started_at=job.started_at,
            checked_at=job.checked_at,
            decided_at=job.decided_at,
            error=error,
            result_url=f"/api/v1/jobs/{job.id}/result" if job.state == "released" else None,
            query=job.query,
            environment=job.environment,
            rerun_of=job.rerun_of,
        )


class Note(BaseModel):
    row: int = Field(description="0-based row of the result")
    column: int | None = Field(description="0-based column; null: the whole row is hidden")
    rule: str
    message: str


class OutputOut(BaseModel):
    name: str
    size: int
    sha256: str
    media_type: str
    url: str

    @classmethod
    def of(cls, output: Output) -> OutputOut:
        return cls(
            name=output.name,
            size=output.size,
            sha256=output.sha256,
            media_type=output.media_type,
            url=f"/api/v1/jobs/{output.job_id}/outputs/{output.name}",
        )


class ResultOut(BaseModel):
    """A released output: the table as it left, the notes on every hidden value, the files."""

    job_id: str
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    notes: list[Note]
    flags: list[str]
    dp: dict[str, Any] | None
    manifest_sha256: str | None
    outputs: list[OutputOut]


class ReviewOut(BaseModel):
    """What an output checker sees: the query, the result before and after the checks."""

    job: JobOut
    query: str
    researcher_id: str
    checked: ResultOut
    unchecked: dict[str, Any] | None


class ReviewIn(Strict):
    decision: Literal["release", "withhold"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]


class ColumnOut(BaseModel):
    name: str
    type: str


class TableOut(BaseModel):
    table: str
    path: str
    format: str
    size: int
    columns: list[ColumnOut]
    error: str | None


class TablesOut(BaseModel):
    version_id: str
    tables: list[TableOut]


class BudgetOut(BaseModel):
    """A researcher's privacy budget on a dataset, across all their grants on it: the total set
    by the agreement terms of the grant in use, and what all their grants have spent."""

    grant_id: str
    dataset_id: str
    total_epsilon: float
    spent_epsilon: float
    remaining_epsilon: float

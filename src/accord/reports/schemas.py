"""Request and response models of the reports API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.reports.alerts import Thresholds
from accord.reports.models import TransparencyReport


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", description="First day, inclusive")
    to: date | None = Field(default=None, description="Last day, exclusive")


class PublishedOut(BaseModel):
    id: str
    period_from: datetime
    period_to: datetime
    issued_at: datetime
    sha256: str
    ledger_seq: int

    @classmethod
    def of(cls, row: TransparencyReport) -> PublishedOut:
        return cls(
            id=row.id,
            period_from=row.period_start,
            period_to=row.period_end,
            issued_at=row.issued_at,
            sha256=row.sha256,
            ledger_seq=row.ledger_seq,
        )


class SignedEnvelope(BaseModel):
    format: str
    report: str = Field(description="The report's RFC 8785 canonical JSON, as signed")
    sha256: str
    signature: str = Field(description="Ed25519 signature over the report's bytes, base64")
    algorithm: str
    public_key: str
    ledger_seq: int = Field(description="The log entry that holds the report's digest")


class VerificationOut(BaseModel):
    verified: bool
    sha256: str
    ledger_seq: int
    report: str | None
    period: dict[str, str] | None
    key: str = Field(description="Fingerprint of the node key the signature verified with")


class ThresholdsIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ratio: float = Field(
        gt=0, le=1, description="Alert when a group's grant rate is below this share of the overall"
    )
    min_requests: int = Field(ge=1, le=1_000_000, description="Decisions a group needs to alert")
    small_actor_requests: int = Field(
        ge=1, le=1_000_000, description="At most this many requests makes a small actor"
    )

    def thresholds(self) -> Thresholds:
        return Thresholds(self.ratio, self.min_requests, self.small_actor_requests)

"""Request and response documents of the access API (the CLI's ``--json`` prints the same)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from accord.access.models import SanctionKind, SanctionSubject
from accord.agreements.durations import Duration
from accord.identifiers import OrcidId

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Reasoned = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=5000)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
Condition = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
ObjectId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
Mode = Literal["download", "sandbox"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Collaborator(Strict):
    name: Line
    institution: Line
    email: EmailStr | None = None
    orcid: OrcidId | None = None


def _duration(value: str) -> str:
    parsed = Duration.parse(value)
    if parsed == Duration():
        raise ValueError("a grant lasts longer than nothing (e.g. P6M, P1Y)")
    return parsed.isoformat()


class Purpose(Strict):
    """What the data are for, in GA4GH DUO terms (``HMB``, ``DS``, ``DUO:0000006``...)."""

    purpose: list[Code] = Field(
        min_length=1,
        max_length=10,
        description="DUO purposes (GRU, HMB, DS, POA), research types, or CC",
        examples=[["HMB"]],
    )
    diseases: list[Code] = Field(
        default_factory=list, max_length=20, description="MONDO ids (for DS)"
    )
    commercial: bool = False
    ethics_approval: bool = False
    ethics_reference: Annotated[str, StringConstraints(max_length=200)] | None = None


class RequestCreate(Purpose):
    """An access request for one version of a dataset (the current one when ``version`` is
    left out)."""

    dataset_id: ObjectId
    version: int | None = Field(default=None, ge=1)
    project_title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)
    ]
    lay_summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=20, max_length=5000)
    ] = Field(description="What the project does, in words anyone can follow")
    institution: Line
    collaborators: list[Collaborator] = Field(default_factory=list, max_length=50)
    mode: Mode = "download"
    duration: str = Field(default="P1Y", max_length=40, description="ISO 8601, e.g. P6M, P1Y")
    accept_duties: bool = Field(
        default=False, description="I accept the duties of the dataset's agreement"
    )

    _check_duration = field_validator("duration")(_duration)


class PreviewIn(Purpose):
    """The fields the engine needs, to show its answer while the form is being filled in."""

    dataset_id: ObjectId
    version: int | None = Field(default=None, ge=1)
    mode: Mode = "download"
    duration: str = Field(default="P1Y", max_length=40)

    _check_duration = field_validator("duration")(_duration)


class ReasonOut(BaseModel):
    effect: str
    code: str
    clause: dict[str, str | None]
    text: str
    params: dict[str, str] = Field(default_factory=dict)


class ObligationOut(BaseModel):
    code: str
    clause: dict[str, str | None]
    text: str
    params: dict[str, str] = Field(default_factory=dict)


class EngineDecision(BaseModel):
    """The agreements engine's answer, with the reasons that decided it picked out."""

    outcome: Literal["permit", "refer", "deny"]
    mode: Literal["download", "sandbox", "none"]
    agreement: str | None
    deciding: list[ReasonOut]
    reasons: list[ReasonOut]
    obligations: list[ObligationOut]


class MessageIn(Strict):
    body: Message


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author_id: str
    author_role: Literal["committee", "requester"]
    body: str
    created_at: datetime


class VoteIn(Strict):
    """A committee member's decision: approve (with conditions) or deny, with written reasons."""

    outcome: Literal["approve", "deny"]
    reasons: Reasoned
    conditions: list[Condition] = Field(default_factory=list, max_length=20)


class VoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    member_id: str
    outcome: str
    reasons: str
    conditions: list[str]
    created_at: datetime


class WithdrawalIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RequestSummary(BaseModel):
    id: str
    kind: str
    state: str
    dataset_id: str
    version: int
    tier: str
    project_title: str
    mode: str
    duration: str
    requester_id: str
    created_at: datetime
    deadline_at: datetime | None
    overdue: bool
    grant_id: str | None


class RequestOut(RequestSummary):
    renews_grant_id: str | None
    requester_organisation_id: str | None
    requester_country: str
    purpose: list[str]
    diseases: list[str]
    commercial: bool
    ethics_approval: bool
    ethics_reference: str | None
    lay_summary: str
    institution: str
    collaborators: list[dict[str, Any]]
    duties_accepted: bool
    engine: EngineDecision
    committee: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reasons: str | None
    conditions: list[str]
    appealable_until: datetime | None
    messages: list[MessageOut]
    votes: list[VoteOut] | None = Field(
        default=None, description="Shown to the committee and the review body only"
    )
    quorum: int | None = None


class QueueItem(RequestSummary):
    """A referred request beside the engine's recommendation and reasons."""

    recommendation: Literal["permit", "refer", "deny"]
    reasons: list[ReasonOut]
    votes: int
    quorum: int
    members: int
    conflict_of_interest: bool
    voted: bool


class DutyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    grant_id: str
    kind: str
    clause: str | None
    due_at: datetime
    status: str
    fulfilled_at: datetime | None
    overdue: bool = False


class QueueOut(BaseModel):
    items: list[QueueItem]
    overdue_duties: list[DutyOut]


class PublicationIn(Strict):
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$", max_length=200)] | None = (
        None
    )
    citation: Annotated[str, StringConstraints(min_length=10, max_length=2000)]


class PublicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    grant_id: str
    doi: str | None
    citation: str
    reported_at: datetime


class AttestationIn(Strict):
    statement: Reasoned = Field(description="What was deleted, where, and when")


class GrantOut(BaseModel):
    id: str
    request_id: str
    user_id: str
    dataset_id: str
    version: int
    version_id: str
    mode: str
    state: Literal["active", "paused", "expired", "revoked"]
    purpose: dict[str, Any]
    conditions: list[str]
    obligations: list[dict[str, Any]]
    agreement: str | None
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    duties: list[DutyOut]
    publications: list[PublicationOut]


class RevocationIn(Strict):
    reason: Reasoned


class RenewalIn(Strict):
    duration: str = Field(default="P1Y", max_length=40)
    justification: Reasoned

    _check_duration = field_validator("duration")(_duration)


class AppealIn(Strict):
    request_id: ObjectId | None = None
    sanction_id: ObjectId | None = None
    grounds: Reasoned


class AppealDecisionIn(Strict):
    outcome: Literal["uphold", "overturn"]
    reasons: Reasoned


class AppealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    subject: str
    request_id: str | None
    sanction_id: str | None
    appellant_id: str
    grounds: str
    state: str
    decided_by: str | None
    decided_at: datetime | None
    reasons: str | None
    grant_id: str | None
    created_at: datetime


class BreachIn(Strict):
    grant_id: ObjectId | None = None
    dataset_id: ObjectId | None = None
    description: Reasoned


class NoteIn(Strict):
    body: Message
    investigating: bool = Field(default=True, description="Mark the report as under investigation")


class ResolutionIn(Strict):
    outcome: Literal["unfounded", "substantiated"]
    resolution: Reasoned


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author_id: str
    body: str
    created_at: datetime


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    media_type: str
    sha256: str
    size: int
    created_at: datetime


class BreachOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    reporter_id: str
    grant_id: str | None
    dataset_id: str
    suspect_user_id: str | None
    description: str
    state: str
    outcome: str | None
    resolution: str | None
    resolved_at: datetime | None
    created_at: datetime
    notes: list[NoteOut] | None = None
    evidence: list[EvidenceOut] | None = None


class SanctionIn(Strict):
    kind: SanctionKind
    subject_kind: SanctionSubject
    subject_id: ObjectId
    reason: Reasoned
    duration: str | None = Field(
        default=None, max_length=40, description="Suspensions: how long (ISO 8601, e.g. P90D)"
    )
    breach_id: ObjectId | None = None
    grant_ids: list[ObjectId] | None = Field(
        default=None, max_length=200, description="Revocations: which grants (default: all)"
    )

    @field_validator("duration")
    @classmethod
    def _check(cls, value: str | None) -> str | None:
        return None if value is None else _duration(value)


class LiftIn(Strict):
    reason: Reasoned


class SanctionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    subject_kind: str
    subject_id: str
    breach_id: str | None
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    in_force: bool
    revoked_grants: list[str]
    lifted_at: datetime | None
    lift_reason: str | None
    created_at: datetime


class CommitteeIn(Strict):
    quorum: int = Field(ge=1, le=50, description="Concurring votes needed (1: any one member)")


class CommitteeOut(BaseModel):
    scope_kind: Literal["organisation", "dataset"]
    scope_id: str
    quorum: int
    members: list[str]


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class SweepOut(BaseModel):
    expired: int
    reminded: int
    overdue: int
    emails_retried: int


class VisasOut(BaseModel):
    """GA4GH Passport visas (signed JWTs), one ``ControlledAccessGrants`` visa per grant."""

    visas: list[str]

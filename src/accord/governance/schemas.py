"""Request and response bodies of the governance API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from accord.governance.assessment import Assessment, Choice
from accord.governance.policies import Outcome, PolicyKind
from accord.governance.register import Body
from accord.identity.permissions import ScopeKind

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- risk assessments ----------------------------------------------------------------------


class AssessmentIn(Strict):
    assessment: Assessment
    choice: Choice | None = Field(
        default=None, description="Tier and mode chosen instead of the recommendation"
    )


class ReasonOut(BaseModel):
    rule: str
    because: str
    tier: str | None
    mode: str | None
    safeguards: list[str]


class RecommendationOut(BaseModel):
    tier: str
    mode: str
    safeguards: list[str]
    reasons: list[ReasonOut]
    rules_version: str


class AssessmentOut(BaseModel):
    id: str
    dataset_id: str
    version: int
    number: int
    assessment: dict[str, Any]
    recommendation: RecommendationOut
    chosen_tier: str
    chosen_mode: str
    overridden: bool
    justification: str | None
    assessed_at: datetime


# --- policies and consultations ------------------------------------------------------------


class PolicyProposal(Strict):
    kind: PolicyKind
    title: Line
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)] = ""
    content: Annotated[str, StringConstraints(min_length=1, max_length=512 * 1024)]
    deadline: AwareDatetime = Field(description="Comments are accepted until then (RFC 3339)")


class CommentIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class DecisionIn(Strict):
    outcome: Outcome
    reasons: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
    effective_at: AwareDatetime | None = Field(
        default=None, description="When an adopted version takes effect (default: at once)"
    )


class CommentOut(BaseModel):
    id: str
    author_kind: str
    author: str
    text: str
    received_at: datetime


class PolicyOut(BaseModel):
    id: str
    kind: str
    number: int
    title: str
    summary: str
    content_sha256: str
    status: str
    proposed_at: datetime
    effective_at: datetime | None
    consultation_id: str | None


class PolicyDocument(PolicyOut):
    content: str


class ConsultationOut(BaseModel):
    id: str
    policy: PolicyDocument
    opened_at: datetime
    deadline_at: datetime
    open: bool
    decided_at: datetime | None
    outcome: str | None
    reasons: str | None
    peers_notified: list[str]
    comments: list[CommentOut]


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    peer_node_id: str
    remote_id: str
    kind: str
    title: str
    summary: str
    url: str
    deadline_at: datetime
    received_at: datetime
    responded_at: datetime | None


# --- the register --------------------------------------------------------------------------


class MembershipIn(Strict):
    user_id: Annotated[str, StringConstraints(max_length=40)]
    body: Body
    scope_kind: ScopeKind = ScopeKind.NODE
    scope_id: Annotated[str, StringConstraints(max_length=40)] = ""
    term_start: date
    term_end: date
    interests: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=50
    )


class MembershipEnd(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class InterestsIn(Strict):
    interests: list[Annotated[str, StringConstraints(max_length=500)]] = Field(max_length=50)


class RegisterEntryOut(BaseModel):
    membership_id: str | None
    body: str
    scope_kind: str
    scope_id: str
    name: str
    organisation: str | None
    term_start: date | None
    term_end: date | None
    interests: list[str]
    declared: bool
    ended_at: datetime | None
    end_reason: str | None


# --- software --------------------------------------------------------------------------------


class PeerCheckIn(Strict):
    peer: Annotated[str, StringConstraints(max_length=100)]


class PeerSoftwareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    peer_id: str
    peer_node_id: str
    name: str
    version: str
    sbom_url: str | None
    sbom_sha256: str | None
    seen_at: datetime

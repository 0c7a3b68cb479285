"""Request and response bodies of the federation API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.access.schemas import RequestCreate


class PeerCreate(BaseModel):
    url: str = Field(max_length=500, description="The peer's base URL")
    fingerprint: str = Field(
        max_length=100, description="The peer key's fingerprint (SHA256:…), checked out of band"
    )


class PeerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    node_id: str
    name: str
    jurisdiction: str
    base_url: str
    fingerprint: str
    state: str
    added_at: datetime
    confirmed_at: datetime | None


class PeerAdded(BaseModel):
    peer: PeerOut
    confirmed: bool = Field(description="Whether the peer has added this node too")


class SuspensionIn(BaseModel):
    suspended: bool = True


class HandshakeIn(BaseModel):
    node: str = Field(max_length=100)


class HandshakeOut(BaseModel):
    node: str
    confirmed: bool


class RunIn(BaseModel):
    peer: str | None = Field(default=None, max_length=100, description="One peer (default: all)")
    full: bool = Field(default=False, description="Harvest everything, not only changes")


class HarvestOut(BaseModel):
    peer: str
    records: int
    deleted: int
    pages: int
    incremental: bool
    last_datestamp: str | None


class HitOut(BaseModel):
    node: str
    pid: str
    title: str
    year: int | None
    url: str
    remote: bool
    record: str | None


class NodeCount(BaseModel):
    value: str
    count: int


class FederatedPage(BaseModel):
    items: list[HitOut]
    total: int
    facets: dict[str, list[NodeCount]]
    next_cursor: str | None


class RemoteRecordOut(BaseModel):
    identifier: str
    node: str
    node_name: str
    pid: str
    title: str
    description: str
    creators: str
    subjects: str
    year: int | None
    rights: str
    datestamp: datetime
    home_url: str
    resource: str | None


class WitnessIn(BaseModel):
    peer: str | None = Field(default=None, max_length=100)


class WitnessOut(BaseModel):
    peer: str
    outcome: str
    size: int
    previous_size: int | None
    delivered: bool
    detail: str


class CosignatureIn(BaseModel):
    checkpoint: str = Field(max_length=4096)
    cosignature: str = Field(max_length=1024)


class CosignatureOut(BaseModel):
    size: int


class ForkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    peer_id: str
    reason: str
    seen_note: str
    new_note: str
    detected_at: datetime


class MirrorCreate(BaseModel):
    peer: str = Field(max_length=100)
    dataset: str = Field(max_length=40)


class MirrorFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    sha256: str
    size: int
    media_type: str


class MirrorOut(BaseModel):
    id: str
    peer_id: str
    dataset_id: str
    number: int
    pid: str
    created_at: datetime
    files: list[MirrorFileOut]


class RecognitionIn(BaseModel):
    kind: str = Field(
        max_length=120,
        description="affiliation, country, or accreditation:<kind>",
        examples=["accreditation:accredited-researcher"],
    )


class RecognitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    peer_id: str
    kind: str
    added_at: datetime


class PassportOut(BaseModel):
    passport: str = Field(description="A GA4GH Passport (JWT) signed by this node")


class ForwardedRequestIn(BaseModel):
    """A peer's researcher's access request, with the passport their home node vouches with."""

    passport: str = Field(max_length=65536)
    request: RequestCreate


class RefusedVisa(BaseModel):
    type: str
    value: str
    reason: str


class RemoteRequestCreate(RequestCreate):
    """An access request for a dataset held by a peer (named by its node id)."""

    node: str = Field(max_length=100, description="The peer holding the dataset")


class RemoteFileOut(BaseModel):
    id: str
    path: str
    size: int
    sha256: str
    media_type: str
    download_url: str


class RemoteRequestOut(BaseModel):
    id: str
    node: str
    dataset_id: str
    version: int
    project_title: str
    remote_id: str
    state: str
    mode: str
    reasons: str | None
    grant_id: str | None
    grant_state: str | None
    grant_expires_at: datetime | None
    files: list[RemoteFileOut]
    refused_visas: list[RefusedVisa]
    created_at: datetime
    updated_at: datetime
    checked_at: datetime


class RemoteRequestPage(BaseModel):
    items: list[RemoteRequestOut]
    next_cursor: str | None

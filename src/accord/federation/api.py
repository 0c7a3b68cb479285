"""Federation API: peers, the signed node-to-node endpoints, harvesting and federated search,
witnessing, and mirrors.

Node-to-node endpoints (handshakes, cosignatures, mirror offers) are open to no person: they
declare ``Permission.PUBLIC`` for the route audit and accept only calls signed by a peer's key
(RFC 9421, see ``calls.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from accord.access.schemas import RequestCreate
from accord.errors import InvalidInput
from accord.federation import (
    calls,
    harvest,
    mirrors,
    passports,
    peers,
    remote_requests,
    schemas,
    visitors,
    witness,
)
from accord.federation.calls import Caller
from accord.federation.cosignature import Witness
from accord.federation.models import Mirror, RemoteRequest
from accord.federation.search import federated_search, get_remote_record, home_url
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.paging import Page
from accord.storage.blobs import BlobInfo, blob_store_of
from accord.storage.responses import blob_response
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged
from accord.web.security import require

router = APIRouter(prefix="/api/v1", tags=["federation"])
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
TEXT = "text/plain; charset=utf-8"


def descriptor_section(node: NodeContext) -> dict[str, Any]:
    """Federation's part of ``/.well-known/accord-node``: the witness key and where to find
    this node's cosigned checkpoint."""
    name = peers.witness_name(node.identity.base_url)
    return {
        "federation": {
            "witness_key": Witness(name, node.signing_key.public_key()).vkey(),
            "cosigned_checkpoint_url": f"{node.identity.base_url}/api/v1/federation/checkpoint",
            "peers_url": f"{node.identity.base_url}/api/v1/peers",
        }
    }


async def _signed(request: Request, *, allow_pending: bool = False) -> Caller:
    node: NodeContext = request.app.state.node
    body = await request.body()
    query = f"?{request.url.query}" if request.url.query else ""
    target = f"{node.identity.base_url}{request.url.path}{query}"
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(
        lambda: calls.authenticate(
            node,
            method=request.method,
            target_uri=target,
            headers=headers,
            body=body,
            allow_pending=allow_pending,
        )
    )


async def signed_peer(request: Request) -> Caller:
    """The active peer that signed this call (RFC 9421), or a refusal."""
    return await _signed(request)


async def signed_any_peer(request: Request) -> Caller:
    """A peer this node has added, active or still pending (for the handshake only)."""
    return await _signed(request, allow_pending=True)


SignedPeer = Annotated[Caller, Depends(signed_peer)]
PeerManager = Annotated[Principal, Depends(require(Permission.FEDERATION_PEER_MANAGE))]
Submitter = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_SUBMIT))]
Reader = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_READ))]
SignedIn = Annotated[Principal, Depends(require(Permission.SIGNED_IN))]


# --- peers -------------------------------------------------------------------------------------


@router.get("/peers", response_model=list[schemas.PeerOut])
def list_peers(session: SessionDep, _: Public) -> list[schemas.PeerOut]:
    return [schemas.PeerOut.model_validate(p) for p in peers.list_peers(session)]


@router.post("/peers", status_code=201, response_model=schemas.PeerAdded)
def add_peer(
    body: schemas.PeerCreate,
    session: SessionDep,
    node: NodeDep,
    principal: Annotated[Principal, Depends(require(Permission.FEDERATION_PEER_MANAGE))],
) -> schemas.PeerAdded:
    """Add a peer by URL and expected key fingerprint, then tell it (signed handshake)."""
    peer = peers.add_peer(session, principal, body.url, body.fingerprint)
    session.commit()
    confirmed = peers.handshake(node, peer.id)
    session.refresh(peer)
    return schemas.PeerAdded(peer=schemas.PeerOut.model_validate(peer), confirmed=confirmed)


@router.post("/peers/{peer_id}/suspension", response_model=schemas.PeerOut)
def suspend_peer(
    peer_id: str,
    body: schemas.SuspensionIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FEDERATION_PEER_MANAGE))],
) -> schemas.PeerOut:
    peer = peers.suspend(session, principal, peer_id, suspended=body.suspended)
    session.commit()
    return schemas.PeerOut.model_validate(peer)


@router.post("/federation/handshakes", response_model=schemas.HandshakeOut)
def accept_handshake(
    body: schemas.HandshakeIn,
    session: SessionDep,
    node: NodeDep,
    _: Public,
    caller: Annotated[Caller, Depends(signed_any_peer)],
) -> schemas.HandshakeOut:
    """A peer that this node has added says it has added this node: peering is active."""
    if body.node != caller.node_id:
        raise InvalidInput("the handshake names another node", code="federation.bad-handshake")
    peers.accept_handshake(session, caller)
    session.commit()
    return schemas.HandshakeOut(node=node.identity.node_id, confirmed=True)


@router.get("/peers/{peer_id}/recognitions", response_model=list[schemas.RecognitionOut])
def list_recognitions(peer_id: str, session: SessionDep, _: Public) -> list[schemas.RecognitionOut]:
    """The kinds of visas this node accepts from the peer (its mutual-recognition settings)."""
    return [
        schemas.RecognitionOut.model_validate(r) for r in passports.recognitions(session, peer_id)
    ]


@router.post(
    "/peers/{peer_id}/recognitions", status_code=201, response_model=schemas.RecognitionOut
)
def add_recognition(
    peer_id: str, body: schemas.RecognitionIn, session: SessionDep, principal: PeerManager
) -> schemas.RecognitionOut:
    row = passports.recognise(session, principal, peer_id, body.kind)
    session.commit()
    return schemas.RecognitionOut.model_validate(row)


@router.delete("/peers/{peer_id}/recognitions/{kind}", status_code=204)
def withdraw_recognition(
    peer_id: str, kind: str, session: SessionDep, principal: PeerManager
) -> Response:
    passports.withdraw_recognition(session, principal, peer_id, kind)
    session.commit()
    return Response(status_code=204)


# --- researchers across nodes ------------------------------------------------------------------


@router.get("/passport", response_model=schemas.PassportOut)
def my_passport(session: SessionDep, principal: SignedIn) -> schemas.PassportOut:
    """A GA4GH Passport in which this node vouches for you (affiliation, country,
    accreditations), valid for one hour."""
    return schemas.PassportOut(passport=passports.passport_for(session, principal.user_id))


@router.post("/remote-requests", status_code=201, response_model=schemas.RemoteRequestOut)
def submit_remote_request(
    body: schemas.RemoteRequestCreate, session: SessionDep, principal: Submitter
) -> schemas.RemoteRequestOut:
    """Request a dataset held by a peer: sent there with your passport; its committee decides."""
    data = RequestCreate.model_validate(body.model_dump(exclude={"node"}))
    request = remote_requests.submit(session, principal, body.node, data)
    session.commit()
    return _remote_out(session, request)


@router.get("/remote-requests", response_model=Page[schemas.RemoteRequestOut])
def list_remote_requests(
    session: SessionDep,
    response: Response,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[schemas.RemoteRequestOut]:
    """Your requests to peers, with the status last read from them."""
    rows, next_cursor = remote_requests.list_mine(session, principal, limit=limit, cursor=cursor)
    items = [_remote_out(session, r) for r in rows]
    return paged(response, "/api/v1/remote-requests", items, next_cursor, limit)


@router.get("/remote-requests/{request_id}", response_model=schemas.RemoteRequestOut)
def get_remote_request(
    request_id: str, node: NodeDep, principal: Reader
) -> schemas.RemoteRequestOut:
    """One of your requests to a peer, its status read from the peer now (the last one read
    when the peer does not answer: see ``checked_at``)."""
    with node.session() as session:
        request = remote_requests.get(session, principal, request_id)
        remote_requests.refresh_if_reachable(session, request)
        session.commit()
        return _remote_out(session, request)


@router.get(
    "/remote-requests/{request_id}/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def remote_file(request_id: str, file_id: str, node: NodeDep, principal: Reader) -> Response:
    """A file of your download grant at a peer, fetched from the peer as you read it."""
    with node.session() as session:
        request = remote_requests.get(session, principal, request_id)
        url = remote_requests.file_url(session, request, file_id)
        session.commit()
    return _relay(node, url)


def _relay(node: NodeContext, url: str) -> Response:
    stack = ExitStack()
    response = stack.enter_context(calls.stream(node, url))
    if not response.is_success:
        response.read()
        stack.close()
        calls.answer(response)

    def chunks() -> Iterator[bytes]:
        with stack:
            yield from response.iter_bytes(1024 * 1024)

    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() in ("content-length", "content-disposition", "etag", "digest")
    }
    media_type = response.headers.get("content-type", "application/octet-stream")
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)


def _remote_out(session: SessionDep, request: RemoteRequest) -> schemas.RemoteRequestOut:
    peer = peers.get_peer(session, request.peer_id)
    base = f"/api/v1/remote-requests/{request.id}/files"
    return schemas.RemoteRequestOut(
        id=request.id,
        node=peer.node_id,
        dataset_id=request.dataset_id,
        version=request.version_number,
        project_title=request.project_title,
        remote_id=request.remote_id,
        state=request.state,
        mode=request.mode,
        reasons=request.reasons,
        grant_id=request.grant_id,
        grant_state=request.grant_state,
        grant_expires_at=request.grant_expires_at,
        files=[
            schemas.RemoteFileOut(**{**f, "download_url": f"{base}/{f['id']}"})
            for f in request.files
        ],
        refused_visas=[schemas.RefusedVisa(**v) for v in request.refused_visas],
        created_at=request.created_at,
        updated_at=request.updated_at,
        checked_at=request.checked_at,
    )


@router.post("/federation/access-requests", status_code=201)
def receive_access_request(
    body: schemas.ForwardedRequestIn, session: SessionDep, _: Public, caller: SignedPeer
) -> dict[str, Any]:
    """A peer's researcher's request, with their passport (signed node-to-node call)."""
    received = visitors.receive_request(session, caller, body.passport, body.request)
    session.flush()
    answer = visitors.status(session, caller, received.request.id)
    session.commit()
    return {**answer, "refused_visas": [r.__dict__ for r in received.refused]}


@router.get("/federation/access-requests/{request_id}")
def forwarded_request(
    request_id: str, session: SessionDep, _: Public, caller: SignedPeer
) -> dict[str, Any]:
    """The status of a request the calling peer forwarded."""
    return visitors.status(session, caller, request_id)


@router.get(
    "/federation/access-requests/{request_id}/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 206: {}, 304: {}, 416: {}},
)
def forwarded_file(
    request_id: str,
    file_id: str,
    request: Request,
    node: NodeDep,
    _: Public,
    caller: SignedPeer,
) -> Response:
    """A file the forwarded request's download grant opens (the catalog's rules decide)."""
    with node.session() as session:
        found = visitors.open_file(session, caller, request_id, file_id)
        session.commit()
        info, media_type, filename = (
            BlobInfo(found.sha256, found.size),
            found.media_type,
            found.name,
        )
    return blob_response(
        request, blob_store_of(node), info, media_type=media_type, filename=filename
    )


# --- harvesting and search ---------------------------------------------------------------------


@router.post("/harvests", response_model=list[schemas.HarvestOut])
def run_harvest(
    body: schemas.RunIn,
    session: SessionDep,
    node: NodeDep,
    _: Annotated[Principal, Depends(require(Permission.FEDERATION_HARVEST_RUN))],
) -> list[schemas.HarvestOut]:
    """Harvest one peer's catalogue or every active peer's (incrementally unless ``full``)."""
    chosen = _chosen(session, body.peer)
    session.close()
    reports = [harvest.harvest_peer(node, peer_id, full=body.full) for peer_id in chosen]
    return [schemas.HarvestOut(**r.__dict__) for r in reports]


def _chosen(session: SessionDep, peer: str | None) -> list[str]:
    if peer:
        return [peers.get_peer(session, peer).id]
    return [p.id for p in peers.active_peers(session)]


@router.get("/federated-search", response_model=schemas.FederatedPage)
def search(
    session: SessionDep,
    _: Public,
    q: Annotated[str, Query(max_length=500)] = "",
    node: Annotated[list[str] | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> schemas.FederatedPage:
    """Search this node's catalogue and its peers' harvested records, with a ``node`` facet."""
    result = federated_search(
        session, q, nodes=node or (), limit=limit, offset=int(cursor) if cursor else 0
    )
    return schemas.FederatedPage(
        items=[schemas.HitOut(**h.__dict__) for h in result.hits],
        total=result.total,
        facets={"node": [schemas.NodeCount(value=k, count=v) for k, v in result.nodes.items()]},
        next_cursor=str(result.next_offset) if result.next_offset is not None else None,
    )


@router.get("/remote-records/{identifier:path}", response_model=schemas.RemoteRecordOut)
def remote_record(identifier: str, session: SessionDep, _: Public) -> schemas.RemoteRecordOut:
    """A harvested record, with a link to its home node."""
    record, peer = get_remote_record(session, identifier)
    return schemas.RemoteRecordOut(
        identifier=record.identifier,
        node=peer.node_id,
        node_name=peer.name,
        pid=record.pid,
        title=record.title,
        description=record.description,
        creators=record.creators,
        subjects=record.subjects,
        year=record.year,
        rights=record.rights,
        datestamp=record.datestamp,
        home_url=home_url(peer, record.pid),
        resource=record.resource,
    )


# --- witnessing --------------------------------------------------------------------------------


@router.post("/witnessings", response_model=list[schemas.WitnessOut])
def run_witness(
    body: schemas.WitnessIn,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.FEDERATION_WITNESS_RUN))],
) -> list[schemas.WitnessOut]:
    """Fetch, check and cosign the peers' newest checkpoints; forks are reported and kept."""
    reports = []
    for peer_id in _chosen(session, body.peer):
        reports.append(witness.witness_peer(session, peer_id))
        session.commit()
    return [schemas.WitnessOut(**r.__dict__) for r in reports]


@router.get("/forks", response_model=list[schemas.ForkOut])
def list_forks(session: SessionDep, _: Public) -> list[schemas.ForkOut]:
    """Evidence of peers' logs showing two incompatible views."""
    return [schemas.ForkOut.model_validate(f) for f in witness.forks(session)]


@router.post("/federation/cosignatures", response_model=schemas.CosignatureOut)
def receive_cosignature(
    body: schemas.CosignatureIn, session: SessionDep, _: Public, caller: SignedPeer
) -> schemas.CosignatureOut:
    """A peer witness's cosignature of one of this node's checkpoints."""
    size = witness.receive_cosignature(session, caller, body.checkpoint, body.cosignature)
    session.commit()
    return schemas.CosignatureOut(size=size)


@router.get(
    "/federation/checkpoint", response_class=Response, responses={200: {"content": {TEXT: {}}}}
)
def cosigned_checkpoint(
    session: SessionDep, _: Public, size: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    """This node's checkpoint with the cosignatures its witnesses sent (C2SP tlog-cosignature)."""
    return Response(witness.cosigned_checkpoint(session, size), media_type=TEXT)


# --- mirrors -----------------------------------------------------------------------------------


@router.get("/federation/mirror-offers/{dataset_id}")
def mirror_offer(
    dataset_id: str, session: SessionDep, _: Public, caller: SignedPeer
) -> dict[str, Any]:
    """What an active peer needs to mirror an open dataset, if its rules let the copy go there."""
    return mirrors.offer(session, caller, dataset_id)


@router.post("/mirrors", status_code=201, response_model=schemas.MirrorOut)
def create_mirror(
    body: schemas.MirrorCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.FEDERATION_MIRROR_MANAGE))],
) -> schemas.MirrorOut:
    mirror = mirrors.create_mirror(session, principal, body.peer, body.dataset)
    session.commit()
    return _mirror_out(session, mirror)


@router.get("/mirrors", response_model=list[schemas.MirrorOut])
def list_mirrors(session: SessionDep, _: Public) -> list[schemas.MirrorOut]:
    return [_mirror_out(session, m) for m in mirrors.list_mirrors(session)]


_MIRRORED = "/mirrors/{mirror_id}/files/{path:path}"
_BYTES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}},
    206: {},
    304: {},
    416: {},
}


@router.get(_MIRRORED, response_class=Response, responses=_BYTES)
@router.head(_MIRRORED, response_class=Response, responses=_BYTES, operation_id="head_mirror_file")
def mirror_file(
    mirror_id: str, path: str, request: Request, session: SessionDep, node: NodeDep, _: Public
) -> Response:
    """A mirrored open file's bytes (range requests, ETag = sha256)."""
    row = mirrors.mirror_file(session, mirror_id, path)
    return blob_response(
        request,
        blob_store_of(node),
        BlobInfo(row.sha256, row.size),
        media_type=row.media_type,
        filename=row.path.rsplit("/", 1)[-1],
    )


def _mirror_out(session: SessionDep, mirror: Mirror) -> schemas.MirrorOut:
    files = [
        schemas.MirrorFileOut.model_validate(f) for f in mirrors.mirror_files(session, mirror.id)
    ]
    return schemas.MirrorOut(
        id=mirror.id,
        peer_id=mirror.peer_id,
        dataset_id=mirror.dataset_id,
        number=mirror.number,
        pid=mirror.pid,
        created_at=mirror.created_at,
        files=files,
    )

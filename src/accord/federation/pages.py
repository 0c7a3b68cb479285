"""Federation pages: peers (with what this node recognises from each), witness status, a
harvested record (its terms and a link to its home node, with a form to request it there), and
the researcher's cross-node requests. They call the same services as the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.access.pages.forms import DURATIONS, PURPOSES, act, codes
from accord.access.schemas import RequestCreate
from accord.federation import passports, peers, remote_requests, witness
from accord.federation.models import (
    CollectedCosignature,
    HarvestState,
    RemoteRecord,
    WitnessedCheckpoint,
)
from accord.federation.search import get_remote_record, home_url
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ledger import service as ledger_service
from accord.web.deps import NodeDep, SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Reader = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_READ))]
Submitter = Annotated[Principal, Depends(require(Permission.ACCESS_REQUEST_SUBMIT))]


@router.get("/federation/peers", response_class=HTMLResponse)
def peers_page(request: Request, session: SessionDep, _: Public) -> HTMLResponse:
    recognised: dict[str, list[str]] = {}
    for row in passports.recognitions(session):
        recognised.setdefault(row.peer_id, []).append(row.kind)
    harvests = {h.peer_id: h for h in session.scalars(select(HarvestState))}
    counted = (
        select(RemoteRecord.peer_id, func.count())
        .where(RemoteRecord.deleted.is_(False))
        .group_by(RemoteRecord.peer_id)
    )
    records = {str(peer_id): int(count) for peer_id, count in session.execute(counted)}
    rows = [
        {
            "peer": p,
            "recognised": recognised.get(p.id, []),
            "harvest": harvests.get(p.id),
            "records": records.get(p.id, 0),
        }
        for p in peers.list_peers(session)
    ]
    return render(request, "federation/peers.html", {"rows": rows})


@router.get("/federation/witness", response_class=HTMLResponse)
def witness_page(request: Request, session: SessionDep, _: Public) -> HTMLResponse:
    witnessed = []
    for peer in peers.list_peers(session):
        last = witness.last_witnessed(session, peer.id)
        witnessed.append({"peer": peer, "last": last})
    own = ledger_service.latest_checkpoint(session)
    size = session.scalar(select(func.max(CollectedCosignature.size)))
    cosigners: list[tuple[str, datetime]] = []
    if size is not None:
        signed = select(CollectedCosignature.peer_id, CollectedCosignature.received_at).where(
            CollectedCosignature.size == size
        )
        cosigners = [(str(peer_id), at) for peer_id, at in session.execute(signed)]
    names = {p.id: p.node_id for p in peers.list_peers(session)}
    context: dict[str, Any] = {
        "witnessed": witnessed,
        "own_size": own.size if own else None,
        "cosigned_size": size,
        "cosigners": [(names.get(peer_id, peer_id), at) for peer_id, at in cosigners],
        "forks": witness.forks(session),
        "names": names,
        "total_witnessed": session.scalar(select(func.count()).select_from(WitnessedCheckpoint)),
    }
    return render(request, "federation/witness.html", context)


@router.get("/federation/records/{identifier:path}", response_class=HTMLResponse)
def record_page(
    identifier: str, request: Request, session: SessionDep, principal: Public
) -> HTMLResponse:
    return _record(request, session, principal, identifier, {}, {})


@router.post("/federation/records/{identifier:path}", response_model=None)
async def request_record(
    identifier: str,
    request: Request,
    node: NodeDep,
    principal: Submitter,
) -> Response:
    """Request the record's dataset from its home node (sent with this node's passport)."""
    fields = {k: str(v) for k, v in (await request.form()).items()}

    def send() -> Response:
        with node.session() as session:
            record, peer = get_remote_record(session, identifier)
            dataset_id = home_url(peer, record.pid).split("/datasets/", 1)[-1].split("/")[0]

            def action() -> str:
                data = RequestCreate.model_validate(_request_body(fields, dataset_id))
                sent = remote_requests.submit(session, principal, peer.node_id, data)
                return f"/federation/requests#{sent.id}"

            return act(
                session,
                action,
                lambda errors, status: _record(
                    request, session, principal, identifier, fields, errors, status
                ),
            )

    return await run_in_threadpool(send)


@router.get("/federation/requests", response_class=HTMLResponse)
def requests_page(request: Request, node: NodeDep, principal: Reader) -> HTMLResponse:
    """My requests to peers, their status read back from the peers now."""
    with node.session() as session:
        rows, _ = remote_requests.list_mine(session, principal, limit=200)
        for row in rows:
            remote_requests.refresh_if_reachable(session, row)
        session.commit()
        names = {p.id: p.node_id for p in peers.list_peers(session)}
        return render(request, "federation/requests.html", {"rows": rows, "names": names})


def _record(
    request: Request,
    session: Session,
    principal: Principal | None,
    identifier: str,
    fields: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    record, peer = get_remote_record(session, identifier)
    may_request = principal is not None and principal.can(Permission.ACCESS_REQUEST_SUBMIT)
    context = {
        "record": record,
        "peer": peer,
        "home": home_url(peer, record.pid),
        "may_request": may_request and peer.state == "active",
        "fields": fields,
        "errors": errors,
        "purposes": PURPOSES,
        "durations": DURATIONS,
    }
    return render(request, "federation/record.html", context, status_code=status_code)


def _request_body(fields: dict[str, str], dataset_id: str) -> dict[str, Any]:
    return {
        "dataset_id": dataset_id,
        "purpose": codes(fields.get("purpose", "")),
        "project_title": fields.get("project_title", ""),
        "lay_summary": fields.get("lay_summary", ""),
        "institution": fields.get("institution", ""),
        "mode": fields.get("mode", "download"),
        "duration": fields.get("duration", "P1Y"),
        "accept_duties": fields.get("accept_duties") == "on",
    }

"""The public log pages: the newest checkpoint, recent entries, search by dataset, and a
"verify this entry" view that shows the inclusion proof step by step."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from accord.errors import NotFound
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ledger import merkle, service
from accord.ledger.schemas import b64
from accord.web.deps import NodeDep, SessionDep
from accord.web.pages import render
from accord.web.security import require

router = APIRouter(include_in_schema=False)
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
PAGE = 50


@router.get("/log", response_class=HTMLResponse)
def log_page(
    request: Request,
    node: NodeDep,
    session: SessionDep,
    _: Public,
    dataset: Annotated[str | None, Query(max_length=40)] = None,
    before: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    checkpoint = service.current_checkpoint(node)
    size = service.tree_size(session)
    start = size - 1 if before is None else before - 1
    rows = service.list_entries(
        session, start=start, limit=PAGE + 1, newest_first=True, dataset=dataset or None
    )
    entries = [(row.seq, json.loads(row.entry)) for row in rows[:PAGE]]
    return render(
        request,
        "log/index.html",
        {
            "checkpoint": checkpoint,
            "root": b64(checkpoint.root_hash),
            "size": size,
            "entries": entries,
            "dataset": dataset or "",
            "older": rows[PAGE - 1].seq if len(rows) > PAGE else None,
            "verifier_key": service.verifier(node).vkey(),
        },
    )


@router.get("/log/entries/{seq}", response_class=HTMLResponse)
def entry_page(
    seq: int, request: Request, node: NodeDep, session: SessionDep, _: Public
) -> HTMLResponse:
    checkpoint = service.current_checkpoint(node)
    row = service.get_entry(session, seq)
    steps: list[dict[str, str]] = []
    verified = False
    if seq < checkpoint.size:
        proof = service.inclusion_proof(session, seq, checkpoint.size)
        steps = _steps(seq, checkpoint.size, row.leaf_hash, proof)
        verified = (
            steps[-1]["result"] == b64(checkpoint.root_hash)
            if steps
            else (row.leaf_hash == checkpoint.root_hash)
        )
    elif seq >= service.tree_size(session):
        raise NotFound(f"the log has no entry {seq}", code="ledger.entry-not-found")
    return render(
        request,
        "log/entry.html",
        {
            "seq": seq,
            "entry_text": row.entry.decode(),
            "entry": json.loads(row.entry),
            "leaf_hash": b64(row.leaf_hash),
            "checkpoint": checkpoint,
            "root": b64(checkpoint.root_hash),
            "steps": steps,
            "covered": seq < checkpoint.size,
            "verified": verified,
            "origin": service.log_origin(node),
            "verifier_key": service.verifier(node).vkey(),
        },
    )


def _steps(index: int, size: int, leaf: bytes, proof: list[bytes]) -> list[dict[str, str]]:
    """Each hash of the proof, which side it joins on, and the running hash (RFC 9162
    §2.1.3.2), so a reader can redo the walk by hand."""
    steps = []
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r, side = merkle.node_hash(p, r), "left"
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r, side = merkle.node_hash(r, p), "right"
        fn, sn = fn >> 1, sn >> 1
        steps.append({"sibling": b64(p), "side": side, "result": b64(r)})
    return steps

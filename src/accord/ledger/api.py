"""The log's public read API, no sign-in: C2SP tlog-tiles under ``/log`` and JSON conveniences
under ``/api/v1/log``. Private records need ``ledger:record:read``."""

from __future__ import annotations

import base64
import binascii
import gzip
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from accord.errors import Conflict, InvalidInput
from accord.identity.permissions import Permission
from accord.identity.principal import Principal
from accord.ledger import pages, rotation, service
from accord.ledger.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    EntryOut,
    InclusionProofOut,
    RecordOut,
    b64,
)
from accord.ledger.tiles import ENTRIES, TileError, parse_tile_path
from accord.node import NodeContext
from accord.paging import Page
from accord.web.deps import NodeDep, SessionDep
from accord.web.links import paged
from accord.web.security import require

router = APIRouter(tags=["log"])
Public = Annotated[Principal | None, Depends(require(Permission.PUBLIC))]
Limit = Annotated[int, Query(ge=1, le=1000)]

IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "public, max-age=5"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


def descriptor_section(node: NodeContext) -> dict[str, Any]:
    """The log's part of ``/.well-known/accord-node``: what a signed-note verifier needs, and
    the node's key history (current and past keys with their validity, decision 1310)."""
    with node.session(readonly=True) as session:
        keys = rotation.keyring(session).as_json()
    return {
        "keys": keys,
        "log": {
            "origin": service.log_origin(node),
            "verifier_key": service.verifier(node).vkey(),
            "checkpoint_url": f"{node.identity.base_url}/log/checkpoint",
            "tiles_prefix": f"{node.identity.base_url}/log/",
        },
    }


# --- C2SP tlog-tiles ---------------------------------------------------------------------------


@router.get("/log/checkpoint", response_class=Response, responses={200: {"content": {TEXT: {}}}})
def checkpoint(node: NodeDep, _: Public) -> Response:
    """The newest signed checkpoint (c2sp.org/tlog-checkpoint)."""
    note = service.current_checkpoint(node).note
    return Response(note, media_type=TEXT, headers={"Cache-Control": FRESH})


@router.get("/log/tile/{tile_path:path}", response_class=Response)
def tile(tile_path: str, request: Request, session: SessionDep, _: Public) -> Response:
    """A hash tile ``tile/<L>/<N>[.p/<W>]`` or entry bundle ``tile/entries/<N>[.p/<W>]``."""
    try:
        parsed = parse_tile_path(f"tile/{tile_path}")
    except TileError as exc:
        raise InvalidInput(str(exc), code="ledger.bad-tile-path") from exc
    body = service.tile_body(session, parsed)
    headers = {"Cache-Control": IMMUTABLE}
    if parsed.level == ENTRIES and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=OCTETS, headers=headers)


# --- JSON conveniences -------------------------------------------------------------------------


@router.get("/api/v1/log/entries", response_model=Page[EntryOut])
def list_entries(
    session: SessionDep,
    response: Response,
    _: Public,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(description="sequence number to start from")] = None,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    event_type: Annotated[str | None, Query(alias="type", max_length=100)] = None,
    dataset: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[EntryOut]:
    """Entries in order (``order=desc``: newest first), optionally one type or one dataset's."""
    newest_first = order == "desc"
    start = _cursor(cursor) if cursor else (service.tree_size(session) if newest_first else 0)
    rows = service.list_entries(
        session,
        start=start,
        limit=limit + 1,
        newest_first=newest_first,
        event_type=event_type,
        dataset=dataset,
    )
    next_cursor = str(rows[limit].seq) if len(rows) > limit else None
    items = [EntryOut.of(r) for r in rows[:limit]]
    return paged(response, "/api/v1/log/entries", items, next_cursor, limit)


@router.get("/api/v1/log/entries/{seq}", response_model=EntryOut)
def get_entry(seq: int, session: SessionDep, _: Public) -> EntryOut:
    return EntryOut.of(service.get_entry(session, seq))


@router.get("/api/v1/log/checkpoints", response_model=Page[CheckpointOut])
def list_checkpoints(
    session: SessionDep,
    response: Response,
    _: Public,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(description="list checkpoints larger than this")] = None,
) -> Page[CheckpointOut]:
    """Every checkpoint the log has signed, smallest first."""
    rows = service.checkpoints(session, after=_cursor(cursor) if cursor else -1, limit=limit + 1)
    next_cursor = str(rows[limit - 1].size) if len(rows) > limit else None
    items = [CheckpointOut.of(r) for r in rows[:limit]]
    return paged(response, "/api/v1/log/checkpoints", items, next_cursor, limit)


@router.get("/api/v1/log/proofs/inclusion", response_model=InclusionProofOut)
def inclusion(
    node: NodeDep,
    session: SessionDep,
    _: Public,
    index: Annotated[int | None, Query(ge=0)] = None,
    leaf_hash: Annotated[str | None, Query(description="base64 leaf hash")] = None,
    tree_size: Annotated[int | None, Query(ge=1, description="default: newest checkpoint")] = None,
) -> InclusionProofOut:
    """Prove entry ``index`` (or the entry with ``leaf_hash``) is in the tree of ``tree_size``."""
    if (index is None) == (leaf_hash is None):
        raise InvalidInput("give either index or leaf_hash", code="ledger.proof-arguments")
    signed = service.current_checkpoint(node) if tree_size is None else None
    size = signed.size if signed is not None else (tree_size or 0)
    if index is None:
        index = service.find_leaf(session, _hash_param(leaf_hash or "", "leaf_hash"))
    if signed is not None and index >= size:
        raise Conflict(
            f"entry {index} is newer than the newest checkpoint ({size} entries)",
            code="ledger.not-yet-checkpointed",
            hint="wait for the next checkpoint, or pass tree_size to prove it unsigned",
        )
    entry = service.get_entry(session, index)
    proof, root = service.prove_inclusion(session, index, size)
    signed = signed or service.checkpoint_at(session, size)
    return InclusionProofOut(
        leaf_index=index,
        tree_size=size,
        leaf_hash=b64(entry.leaf_hash),
        root_hash=b64(root),
        proof=[b64(h) for h in proof],
        checkpoint=signed.note if signed else None,
    )


@router.get("/api/v1/log/proofs/consistency", response_model=ConsistencyProofOut)
def consistency(
    session: SessionDep,
    _: Public,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int, Query(ge=0)],
) -> ConsistencyProofOut:
    """Prove the tree of ``second`` entries extends the tree of ``first`` entries."""
    proof, first_root, second_root = service.prove_consistency(session, first, second)
    return ConsistencyProofOut(
        first=first,
        second=second,
        first_root=b64(first_root),
        second_root=b64(second_root),
        proof=[b64(h) for h in proof],
    )


@router.get("/api/v1/log/records/{seq}", response_model=RecordOut)
def get_record(
    seq: int,
    session: SessionDep,
    _: Annotated[Principal, Depends(require(Permission.LOG_READ_PRIVATE))],
) -> RecordOut:
    """The full private record behind entry ``seq``: its canonical JSON hashes to
    ``record_sha256``."""
    return RecordOut(seq=seq, record=service.get_record(session, seq))


def _cursor(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput(f"cursor {text!r} is not a sequence number", code="ledger.bad-cursor")
    return int(text)


def _hash_param(text: str, name: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 32:
        raise InvalidInput(f"{name} must be a base64 SHA-256 hash", code="ledger.bad-hash")
    return value


router.include_router(pages.router)

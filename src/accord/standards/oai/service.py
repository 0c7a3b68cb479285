"""Answering OAI-PMH requests from the harvest index.

``respond`` parses the arguments, runs the verb against ``oai_records`` and returns the whole
response document; protocol errors become ``<error>`` elements (OAI-PMH 2.0 §3.6). Lists are
sent in ``seq`` order, ``PAGE_SIZE`` records a page, with a resumption token carrying the rest
of the request (``tokens``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from accord.catalog.metadata import Tier
from accord.errors import NotFound
from accord.identity import service as identity
from accord.standards.oai import responses
from accord.standards.oai.errors import OaiError
from accord.standards.oai.formats import FORMATS, oai_datacite
from accord.standards.oai.index import (
    ORG_SET,
    TIER_SET,
    header_of,
    oai_identifier,
    repository_identifier,
)
from accord.standards.oai.models import OaiRecord
from accord.standards.oai.protocol import (
    GetRecord,
    Identify,
    ListMetadataFormats,
    ListRequest,
    ListSets,
    Pairs,
    Request,
    parse_request,
)
from accord.standards.oai.tokens import ListState, decode_token, encode_token, expiry

PAGE_SIZE = {"ListRecords": 1000, "ListIdentifiers": 2000}


@dataclass(frozen=True)
class Repository:
    """What a response needs to know about this node: names, URLs, the clock, the token key."""

    name: str
    base_url: str
    node_id: str
    token_key: bytes
    now: datetime
    admin_email: str | None = None
    """Who answers for the repository (Identify ``adminEmail``); None: repository@<host>."""

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/oai"


def respond(session: Session, repo: Repository, pairs: Pairs) -> bytes:
    """The full OAI-PMH response document for one request."""
    try:
        request = parse_request(pairs)
    except OaiError as error:
        echo = {} if error.code in {"badVerb", "badArgument"} else dict(pairs)
        return responses.envelope(
            repo.now, repo.endpoint, echo, responses.error(error.code, error.message)
        )
    try:
        body = _dispatch(session, repo, request)
    except OaiError as error:
        body = responses.error(error.code, error.message)
    return responses.envelope(repo.now, repo.endpoint, dict(pairs), body)


def _dispatch(session: Session, repo: Repository, request: Request) -> str:
    if isinstance(request, Identify):
        return responses.identify(_identity(session, repo))
    if isinstance(request, ListMetadataFormats):
        if request.identifier is not None:
            _row_by_identifier(session, request.identifier)
        return responses.metadata_formats(FORMATS.values())
    if isinstance(request, ListSets):
        if request.resumption_token is not None:
            raise OaiError("badResumptionToken", "ListSets is answered in one response")
        return responses.sets(_sets(session))
    if isinstance(request, GetRecord):
        return _get_record(session, repo, request)
    return _list(session, repo, request)


# --- Identify, sets, GetRecord ------------------------------------------------------------------


def _identity(session: Session, repo: Repository) -> responses.Identity:
    earliest = session.scalar(select(func.min(OaiRecord.datestamp)))
    host = repository_identifier(repo.base_url)
    return responses.Identity(
        name=f"{repo.name} (Accord node {repo.node_id})",
        base_url=repo.endpoint,
        admin_email=repo.admin_email or f"repository@{host}",
        earliest=_utc(earliest) if earliest else repo.now,
        repository_identifier=host,
        sample_identifier=oai_identifier(
            repo.base_url, f"{repo.node_id}/ds_01J00000000000000000000000@v1"
        ),
    )


def _sets(session: Session) -> list[tuple[str, str]]:
    entries = [(ORG_SET, "Organisations"), (TIER_SET, "Access tiers")]
    org_ids = session.scalars(
        select(OaiRecord.organisation_id).distinct().order_by(OaiRecord.organisation_id)
    ).all()
    for org_id in org_ids:
        try:
            name = identity.get_organisation(session, org_id).name
        except NotFound:
            name = org_id
        entries.append((f"{ORG_SET}:{org_id}", name))
    entries += [(f"{TIER_SET}:{t.value}", f"{t.value.capitalize()} tier") for t in Tier]
    return entries


def _row_by_identifier(session: Session, identifier: str) -> OaiRecord:
    row = session.scalar(select(OaiRecord).where(OaiRecord.identifier == identifier[:200]))
    if row is None:
        raise OaiError("idDoesNotExist", f"no item {identifier[:200]!r} in this repository")
    return row


def _get_record(session: Session, repo: Repository, request: GetRecord) -> str:
    row = _row_by_identifier(session, request.identifier)
    _check_prefix(request.prefix)
    metadata = _metadata(request.prefix, row.oai_dc, row.datacite, repo.node_id)
    return responses.get_record(responses.stored_record(_header(row), row.deleted, metadata))


# --- ListIdentifiers and ListRecords -----------------------------------------------------------


def _list(session: Session, repo: Repository, request: ListRequest) -> str:
    state = _state(session, repo, request)
    size = PAGE_SIZE[state.verb]
    query = _filtered(_columns(state), state).where(OaiRecord.seq > state.after)
    rows = session.connection().execute(query.order_by(OaiRecord.seq).limit(size + 1)).all()
    if not rows and state.sent == 0:
        raise OaiError("noRecordsMatch", "no records match these arguments")
    page, more = rows[:size], len(rows) > size
    if state.verb == "ListIdentifiers":
        items = [_header(row) for row in page]
    else:
        prefix, node_id, record = state.prefix, repo.node_id, responses.stored_record
        items = [
            record(_header(row), row.deleted, _metadata(prefix, row[-1], row[-1], node_id))
            for row in page
        ]
    return responses.list_page(state.verb, items, _token(state, page, more, repo))


def _token(
    state: ListState, page: Sequence[Any], more: bool, repo: Repository
) -> responses.Token | None:
    """A token to the next page; an empty token on the last page of a multi-page list; none
    when the whole list fits on its first page (OAI-PMH 2.0 §3.5)."""
    if more:
        following = replace(
            state, after=page[-1].seq, sent=state.sent + len(page), expires=expiry(repo.now)
        )
        value = encode_token(following, repo.token_key)
        return responses.Token(value, following.expires_at, state.total, state.sent)
    if state.sent > 0:
        return responses.Token(None, None, state.total, state.sent)
    return None


def _state(session: Session, repo: Repository, request: ListRequest) -> ListState:
    """The list state: decoded from the token, or started now (``until`` fixed at now)."""
    if request.token is not None:
        state = decode_token(request.token, repo.token_key, repo.now)
        if state.verb != request.verb:
            raise OaiError("badResumptionToken", f"this token continues a {state.verb} list")
        return state
    assert request.prefix is not None
    _check_prefix(request.prefix)
    now = int(repo.now.timestamp())
    state = ListState(
        verb=request.verb,
        prefix=request.prefix,
        set_spec=request.set_spec,
        start=request.start,
        until=min(request.until, now) if request.until is not None else now,
        after=0,
        sent=0,
        total=0,
        expires=expiry(repo.now),
    )
    if request.set_spec is not None and _set_condition(request.set_spec) is None:
        raise OaiError("noRecordsMatch", f"there is no set {request.set_spec[:100]!r}")
    total = session.scalar(_filtered(select(func.count()).select_from(OaiRecord), state)) or 0
    return replace(state, total=total)


def _columns(state: ListState) -> Select[Any]:
    """Plain table columns: list pages read rows as tuples, not ORM objects (it is the hot
    path of every harvest)."""
    table = OaiRecord.__table__.c
    columns: list[Any] = [
        table.seq,
        table.header,
        table.identifier,
        table.datestamp,
        table.deleted,
        table.organisation_id,
        table.tier,
    ]
    if state.verb == "ListRecords":
        columns.append(table.oai_dc if state.prefix == "oai_dc" else table.datacite)
    return select(*columns)


def _filtered(query: Select[Any], state: ListState) -> Select[Any]:
    query = query.where(OaiRecord.datestamp <= _moment(state.until))
    if state.start is not None:
        query = query.where(OaiRecord.datestamp >= _moment(state.start))
    if state.set_spec is not None:
        condition = _set_condition(state.set_spec)
        if condition is not None:
            query = query.where(condition)
    return query


def _set_condition(spec: str) -> ColumnElement[bool] | None:
    """The rows of a set: ``org``, ``org:<organisation id>``, ``tier``, ``tier:<tier>``."""
    top, _, leaf = spec.partition(":")
    if top == ORG_SET:
        return OaiRecord.organisation_id == leaf if leaf else OaiRecord.seq > 0
    if top == TIER_SET and (not leaf or leaf in {t.value for t in Tier}):
        return OaiRecord.tier == leaf if leaf else OaiRecord.seq > 0
    return None


def _header(row: Any) -> str:
    """The stored ``<header>``, or one written now for a row indexed before headers were kept."""
    stored: str | None = row.header
    return stored if stored is not None else responses.header(header_of(row))


def _check_prefix(prefix: str) -> None:
    if prefix not in FORMATS:
        raise OaiError(
            "cannotDisseminateFormat",
            f"{prefix[:60]!r} is not a format of this repository ({', '.join(FORMATS)})",
        )


def _metadata(prefix: str, dc: str | None, datacite: str | None, node_id: str) -> str | None:
    if prefix == "oai_dc":
        return dc
    if datacite is None:
        return None
    return oai_datacite(datacite, node_id) if prefix == "oai_datacite" else datacite


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

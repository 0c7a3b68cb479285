"""Content negotiation and Signposting on dataset URLs (an ASGI middleware).

``/datasets/{id}`` and ``/datasets/{id}/versions/{n}`` are the landing pages the catalog
renders as HTML. This middleware lets the same URLs answer machines:

- when ``Accept`` prefers a metadata format (``application/ld+json``, ``text/turtle``,
  ``application/rdf+xml``, ``application/vnd.datacite.datacite+xml`` and ``+json``, BibTeX,
  RIS, CSL-JSON, or ``text/x-bibliography; style=apa``), the request is served by the
  matching export route instead (the route still checks who may see what);
- the HTML page gets FAIR Signposting ``Link`` headers (``signposting.landing_links``);
- every answer on these URLs varies by ``Accept``.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.catalog import service as catalog
from accord.catalog.models import VersionState
from accord.errors import AccordError
from accord.node import NodeContext
from accord.standards.citations import Style
from accord.standards.exports import DATACITE_JSON_TYPE, DATACITE_XML_TYPE, JSON_LD, ExportName
from accord.standards.negotiation import Choice, Offer, negotiate
from accord.standards.records import record_of
from accord.standards.signposting import landing_links, link_header, tombstone_links

DATASET_PATH = re.compile(
    r"^/datasets/(?P<dataset>ds_[0-9A-Z]{26})(?:/versions/(?P<number>[1-9][0-9]{0,8}))?/?$"
)
DCAT_PROFILE = "http://www.w3.org/ns/dcat#"
HTML = "html"
CITATION = "citation"
OFFERS = [
    Offer("text/html", HTML),
    Offer(JSON_LD, ExportName.SCHEMA_ORG.value),
    Offer("application/vnd.schemaorg.ld+json", ExportName.SCHEMA_ORG.value),
    Offer(JSON_LD, ExportName.DCAT_JSON_LD.value, profile=DCAT_PROFILE),
    Offer("text/turtle", ExportName.DCAT_TURTLE.value),
    Offer("application/rdf+xml", ExportName.DCAT_RDF_XML.value),
    Offer(DATACITE_XML_TYPE, ExportName.DATACITE_XML.value),
    Offer(DATACITE_JSON_TYPE, ExportName.DATACITE_JSON.value),
    Offer("application/x-bibtex", ExportName.BIBTEX.value),
    Offer("application/x-research-info-systems", ExportName.RIS.value),
    Offer("application/vnd.citationstyles.csl+json", ExportName.CSL_JSON.value),
    Offer("text/x-bibliography", CITATION),
]


class ContentNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        match = (
            DATASET_PATH.match(path)
            if scope["type"] == "http" and path.startswith("/datasets/")
            else None
        )
        if match is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        dataset_id, number = match["dataset"], match["number"]
        choice = negotiate(Headers(scope=scope).get("accept"), OFFERS)
        if choice is None or choice.offer.target == HTML:
            node: NodeContext = scope["app"].state.node
            links = await run_in_threadpool(_links_for, node, dataset_id, number)
            await self.app(scope, receive, _adding(send, links))
            return
        path, query = target_of(choice, dataset_id, int(number) if number else None)
        rewritten = {**scope, "path": path, "raw_path": path.encode(), "query_string": query}
        await self.app(rewritten, receive, _adding(send, None))


def target_of(choice: Choice, dataset_id: str, number: int | None) -> tuple[str, bytes]:
    """The API path (and query) that serves a negotiated representation."""
    base = f"/api/v1/datasets/{dataset_id}" + (f"/versions/{number}" if number else "")
    if choice.offer.target == CITATION:
        requested = choice.media_range.params.get("style", Style.APA.value)
        style = requested if requested in {s.value for s in Style} else Style.APA.value
        return f"{base}/citations/{style}", b"format=text"
    return f"{base}/exports/{choice.offer.target}", b""


def _links_for(node: NodeContext, dataset_id: str, number: str | None) -> str | None:
    """The Signposting header of a public version's landing page (None when there is none)."""
    with node.session(readonly=True) as session:
        try:
            version = catalog.get_version(
                session, dataset_id, int(number) if number else None, None
            )
        except AccordError:
            return None
        if version.state == VersionState.DRAFT:
            return None
        record = record_of(session, version)
        links = (
            landing_links(record)
            if version.state == VersionState.PUBLISHED
            else tombstone_links(record)
        )
        return link_header(links)


def _adding(send: Send, links: str | None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=_as_scope(message))
            headers.append("Vary", "Accept")
            status = int(message.get("status", 200))
            if links and (status < 400 or status == 410):
                headers["Link"] = links
        await send(message)

    return wrapped


def _as_scope(message: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``MutableHeaders`` edits the raw header list of a response-start message in place."""
    return message

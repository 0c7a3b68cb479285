"""OAI-PMH 2.0: a real harvester (sickle) over HTTP, incremental and set-selective harvests,
resumption tokens that expire and stay correct while the catalogue changes, deleted records,
and the protocol's error for every bad request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from pydantic import ValidationError
from sickle import Sickle
from sickle.oaiexceptions import BadArgument, CannotDisseminateFormat, NoRecordsMatch
from sqlalchemy import select, update

from accord.catalog import service as catalog_service
from accord.clock import SettableClock
from accord.config import Settings
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.standards.oai import service as oai_service
from accord.standards.oai.models import OaiRecord
from accord.standards.oai.protocol import format_datestamp
from accord.standards.xsd import validate_datacite
from accord.web.app import create_app
from tests.standards.conftest import PublishMany, Served

OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(oai_service.PAGE_SIZE, "ListRecords", 3)
    monkeypatch.setitem(oai_service.PAGE_SIZE, "ListIdentifiers", 3)


def harvester(served: Served) -> Sickle:
    return Sickle(f"{served.url}/oai", max_retries=0, timeout=30)


def oai(client: TestClient, **params: str) -> etree._Element:
    response = client.get("/oai", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return etree.fromstring(response.content)


def error_code(root: etree._Element) -> str | None:
    error = root.find("o:error", OAI)
    return None if error is None else error.get("code")


def withdraw(node: NodeContext, operator: Principal, dataset_id: str) -> None:
    with node.session() as session:
        catalog_service.withdraw(session, operator, dataset_id, 1, "consent was withdrawn")
        session.commit()


def identifiers(records: list[Any]) -> list[str]:
    return [r.header.identifier for r in records]


@pytest.mark.usefixtures("small_pages")
def test_a_real_harvester_takes_the_whole_catalogue_through_resumption_tokens(
    served: Served, publish_many: PublishMany, node: NodeContext, operator: Principal,
    organisation: str,
) -> None:  # fmt: skip
    made = publish_many(5) + publish_many(2, tier="controlled")
    withdraw(node, operator, made[2][0])
    sickle = harvester(served)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(records) == 7 == len(set(identifiers(records)))
    assert {i.rsplit("/", 1)[-1] for i in identifiers(records)} == {f"{d}@v1" for d, _ in made}
    deleted = [r for r in records if r.deleted]
    assert [r.header.identifier for r in deleted] == [f"oai:testserver:test-node/{made[2][0]}@v1"]
    live = [r for r in records if not r.deleted]
    assert all(r.metadata["title"][0].startswith("Survey number") for r in live)
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True))) == 6

    for item in sickle.ListRecords(metadataPrefix="oai_datacite", ignore_deleted=True):
        [resource] = item.xml.iter("{http://datacite.org/schema/kernel-4}resource")
        validate_datacite(resource)
    plain = next(iter(sickle.ListRecords(metadataPrefix="datacite", ignore_deleted=True)))
    validate_datacite(plain.xml.find(".//{http://datacite.org/schema/kernel-4}resource"))

    specs = {s.setSpec: s.setName for s in sickle.ListSets()}
    assert specs[f"org:{organisation}"] == "Nairobi Centre for Genomic Medicine"
    assert {"org", "tier", "tier:open", "tier:controlled", "tier:restricted"} <= set(specs)
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="tier:controlled"))) == 2
    assert (
        len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set=f"org:{organisation}"))) == 7
    )
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="tier"))) == 7
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="tier:restricted"))
    header = next(iter(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="tier:controlled")))
    assert header.setSpecs == [f"org:{organisation}", "tier:controlled"]


@pytest.mark.usefixtures("small_pages")
def test_incremental_harvests_and_a_harvest_that_the_catalogue_changes_under(
    served: Served, publish_many: PublishMany, clock: SettableClock, node: NodeContext,
    operator: Principal,
) -> None:  # fmt: skip
    original = publish_many(8)
    started = clock.now()
    iterator = harvester(served).ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False)
    seen = [next(iterator).identifier for _ in range(4)]  # two pages fetched
    clock.advance(timedelta(seconds=5))
    added = publish_many(5)
    withdraw(node, operator, original[7][0])  # not yet sent: it moves past this harvest
    seen += [h.identifier for h in iterator]
    assert len(seen) == len(set(seen)) == 7
    assert {i.rsplit("/", 1)[-1] for i in seen} == {f"{d}@v1" for d, _ in original[:7]}

    since = {"from": format_datestamp(clock.now())}
    again = harvester(served).ListIdentifiers(
        metadataPrefix="oai_dc", ignore_deleted=False, **since
    )
    news = {h.identifier.rsplit("/", 1)[-1]: h.deleted for h in again}
    assert news == {f"{d}@v1": False for d, _ in added} | {f"{original[7][0]}@v1": True}
    until = format_datestamp(started)
    before = list(harvester(served).ListIdentifiers(metadataPrefix="oai_dc", until=until))
    assert len(before) == 7  # the withdrawn one changed later
    day = {"from": started.date().isoformat()}
    assert len(list(harvester(served).ListIdentifiers(metadataPrefix="oai_dc", **day))) == 13


@pytest.mark.usefixtures("small_pages")
def test_resumption_tokens_expire_and_cannot_be_forged(
    client: TestClient, publish_many: PublishMany, clock: SettableClock
) -> None:
    publish_many(5)
    first = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = first.find("o:ListRecords/o:resumptionToken", OAI)
    assert token is not None and token.text
    assert (token.get("completeListSize"), token.get("cursor")) == ("5", "0")
    assert token.get("expirationDate") == format_datestamp(clock.now() + timedelta(hours=1))
    posted = client.post("/oai", data={"verb": "ListRecords", "resumptionToken": token.text})
    second = etree.fromstring(posted.content)
    last = second.find("o:ListRecords/o:resumptionToken", OAI)
    assert len(second.findall("o:ListRecords/o:record", OAI)) == 2
    assert last is not None and not last.text and last.get("cursor") == "3"
    forged = token.text[:-2] + ("AA" if not token.text.endswith("AA") else "BB")
    assert (
        error_code(oai(client, verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"
    )
    wrong_verb = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
    assert error_code(wrong_verb) == "badResumptionToken"
    clock.advance(timedelta(hours=1, seconds=1))
    expired = oai(client, verb="ListRecords", resumptionToken=token.text)
    assert error_code(expired) == "badResumptionToken"
    assert "expired" in (expired.findtext("o:error", namespaces=OAI) or "")


DC_RECORDS = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
ERRORS = [
    ({}, "badVerb"),
    ({"verb": "ListAll"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "set": "x"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({**DC_RECORDS, "from": "2026-13-01"}, "badArgument"),
    ({**DC_RECORDS, "from": "2026-01-01T00:00Z"}, "badArgument"),
    ({**DC_RECORDS, "from": "2026-01-01T00:00:00.5Z"}, "badArgument"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-01-01",
      "until": "2026-02-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2026-02-01",
      "until": "2026-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:testserver:x"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:testserver:nothing", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:testserver:nothing"}, "idDoesNotExist"),
    ({**DC_RECORDS, "from": "2100-01-01"}, "noRecordsMatch"),
    ({**DC_RECORDS, "set": "colour:blue"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
]  # fmt: skip


def test_identify_get_record_and_every_protocol_error(
    served: Served, client: TestClient, publish_many: PublishMany, node: NodeContext,
    operator: Principal, clock: SettableClock,
) -> None:  # fmt: skip
    [(kept, _), (gone, _)] = publish_many(2)
    withdraw(node, operator, gone)
    identify = oai(client, verb="Identify")
    assert identify.findtext("o:Identify/o:deletedRecord", namespaces=OAI) == "persistent"
    assert identify.findtext("o:Identify/o:granularity", namespaces=OAI) == "YYYY-MM-DDThh:mm:ssZ"
    earliest = identify.findtext("o:Identify/o:earliestDatestamp", namespaces=OAI)
    assert earliest == format_datestamp(clock.now())
    assert identify.findtext("o:Identify/o:baseURL", namespaces=OAI) == "http://testserver/oai"

    kept_id, gone_id = (f"oai:testserver:test-node/{d}@v1" for d in (kept, gone))
    record = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=kept_id)
    assert record.find("o:GetRecord/o:record/o:metadata", OAI) is not None
    deleted = oai(client, verb="GetRecord", metadataPrefix="oai_datacite", identifier=gone_id)
    header = deleted.find("o:GetRecord/o:record/o:header", OAI)
    assert header is not None and header.get("status") == "deleted"
    assert deleted.find("o:GetRecord/o:record/o:metadata", OAI) is None
    formats = oai(client, verb="ListMetadataFormats", identifier=kept_id)
    prefixes = [p.text for p in formats.iterfind(".//o:metadataPrefix", OAI)]
    assert prefixes == ["oai_dc", "oai_datacite", "datacite"]

    for params, code in ERRORS:
        root = oai(client, **params)
        assert error_code(root) == code, params
        echoed = dict(root.find("o:request", OAI).attrib)
        if code in {"badVerb", "badArgument"}:
            assert echoed == {}, params
        else:
            assert echoed.get("verb") == params["verb"], params

    sickle = harvester(served)
    with pytest.raises(CannotDisseminateFormat):
        list(sickle.ListRecords(metadataPrefix="mods"))
    with pytest.raises(BadArgument):
        list(sickle.ListRecords(metadataPrefix="oai_dc", until="yesterday"))


def test_pages_join_stored_headers_and_rows_indexed_before_headers_were_kept(
    client: TestClient, publish_many: PublishMany, node: NodeContext, operator: Principal
) -> None:
    """Each record's header is stored when it is indexed and sent as stored; a row from before
    headers were kept (NULL) gets the same header written per request."""
    made = publish_many(3)
    withdraw(node, operator, made[1][0])
    with node.session() as session:
        stored = session.scalars(select(OaiRecord.header).order_by(OaiRecord.seq)).all()
    assert all(h is not None and h.startswith("<header") for h in stored)
    requests = [
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "metadataPrefix": "oai_dc",
         "identifier": f"oai:testserver:test-node/{made[1][0]}@v1"},
    ]  # fmt: skip
    pages = [client.get("/oai", params=params).content for params in requests]
    assert all(header.encode() in pages[0] for header in stored)
    assert b'<header status="deleted">' in pages[2]
    with node.engine.begin() as connection:  # as rows indexed before the migration are
        connection.execute(update(OaiRecord).values(header=None))
    assert [client.get("/oai", params=params).content for params in requests] == pages


def test_identify_names_the_configured_admin_email(node: NodeContext) -> None:
    node.settings.oai_admin_email = "data-office@testserver.example"
    with TestClient(create_app(node), base_url="http://testserver") as client:
        identify = oai(client, verb="Identify")
    email = identify.findtext("o:Identify/o:adminEmail", namespaces=OAI)
    assert email == "data-office@testserver.example"


def test_identify_admin_email_defaults_to_the_node_host(client: TestClient) -> None:
    identify = oai(client, verb="Identify")
    assert identify.findtext("o:Identify/o:adminEmail", namespaces=OAI) == "repository@testserver"


def test_a_bad_admin_email_is_refused_by_the_settings() -> None:
    with pytest.raises(ValidationError, match="oai_admin_email"):
        Settings(oai_admin_email="not an address")

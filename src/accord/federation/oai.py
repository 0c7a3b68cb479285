"""Reading OAI-PMH 2.0 ``ListRecords`` answers in ``oai_datacite`` (pure: bytes in, records out).

Each record becomes a :class:`HarvestedRecord`: its header (identifier, datestamp, deleted
status, OAI-PMH §2.5) and a few DataCite kernel-4 properties for search and display, with the
``<resource>`` element itself kept as harvested. The answer's ``resumptionToken`` (§3.5) says
whether the list goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from accord.errors import InvalidInput

OAI = "http://www.openarchives.org/OAI/2.0/"
DATACITE = "http://datacite.org/schema/kernel-4"
OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
NS = {"o": OAI, "d": DATACITE, "od": OAI_DATACITE}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class HarvestedRecord:
    identifier: str
    datestamp: datetime
    deleted: bool
    pid: str
    title: str = ""
    description: str = ""
    creators: str = ""
    subjects: str = ""
    year: int | None = None
    rights: str = ""
    resource: str | None = None


@dataclass(frozen=True)
class RecordsPage:
    records: list[HarvestedRecord]
    resumption_token: str | None
    no_records: bool = False


def parse_list_records(data: bytes) -> RecordsPage:
    """One ``ListRecords`` answer; ``noRecordsMatch`` is an empty last page, other errors raise."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(
            f"the peer's OAI-PMH answer is not XML: {exc}", code="federation.bad-oai"
        ) from exc
    error = root.find("o:error", NS)
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return RecordsPage([], None, no_records=True)
        raise InvalidInput(
            f"the peer's OAI-PMH endpoint answered {error.get('code')}: {error.text}",
            code="federation.oai-error",
        )
    records = [_record(r) for r in root.iterfind("o:ListRecords/o:record", NS)]
    token = root.find("o:ListRecords/o:resumptionToken", NS)
    text = (token.text or "").strip() if token is not None else ""
    return RecordsPage(records, text or None)


def datestamp_argument(moment: datetime) -> str:
    """A ``from`` argument at the seconds granularity (OAI-PMH §3.3.1)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(element: etree._Element) -> HarvestedRecord:
    header = element.find("o:header", NS)
    if header is None:
        raise InvalidInput("an OAI-PMH record has no header", code="federation.bad-oai")
    identifier = _text(header, "o:identifier")
    datestamp = _datestamp(_text(header, "o:datestamp"))
    pid = identifier.split(":", 2)[2] if identifier.count(":") >= 2 else identifier
    if header.get("status") == "deleted":
        return HarvestedRecord(identifier, datestamp, True, pid)
    resource = element.find("o:metadata/od:oai_datacite/od:payload/d:resource", NS)
    if resource is None:
        raise InvalidInput(f"{identifier} carries no DataCite resource", code="federation.bad-oai")
    year = _text(resource, "d:publicationYear")
    return HarvestedRecord(
        identifier=identifier,
        datestamp=datestamp,
        deleted=False,
        pid=pid,
        title=_text(resource, "d:titles/d:title"),
        description=_text(resource, "d:descriptions/d:description"),
        creators="; ".join(_texts(resource, "d:creators/d:creator/d:creatorName")),
        subjects="; ".join(_texts(resource, "d:subjects/d:subject")),
        year=int(year) if year.isdigit() else None,
        rights=" ".join(
            r.get("rightsIdentifier") or (r.text or "")
            for r in resource.iterfind("d:rightsList/d:rights", NS)
        ).strip(),
        resource=etree.tostring(resource, encoding="unicode"),
    )


def _text(element: etree._Element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _texts(element: etree._Element, path: str) -> list[str]:
    return [(e.text or "").strip() for e in element.iterfind(path, NS) if (e.text or "").strip()]


def _datestamp(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"bad OAI-PMH datestamp {text!r}", code="federation.bad-oai") from None

"""OAI-PMH 2.0 response documents, written as text around the records' stored XML.

Records are kept as ready XML fragments, so a page is joined from strings rather than built as
a tree: this is what lets one process answer harvesters at tens of thousands of records a
second. Every value that is not a stored fragment is escaped here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from accord.standards.oai.formats import MetadataFormat
from accord.standards.oai.protocol import format_datestamp

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"


@dataclass(frozen=True)
class Header:
    identifier: str
    datestamp: datetime
    set_specs: tuple[str, ...]
    deleted: bool


@dataclass(frozen=True)
class Token:
    """The ``<resumptionToken>`` of a page: empty on the last page of a list."""

    value: str | None
    expires: datetime | None
    complete_list_size: int
    cursor: int


@dataclass(frozen=True)
class Identity:
    name: str
    base_url: str
    admin_email: str
    earliest: datetime
    repository_identifier: str
    sample_identifier: str


def envelope(now: datetime, base_url: str, request: Mapping[str, str], body: str) -> bytes:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in request.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_NS} {OAI_SCHEMA}">'
        f"<responseDate>{format_datestamp(now)}</responseDate>"
        f"<request{attributes}>{escape(base_url)}</request>{body}</OAI-PMH>\n"
    ).encode()


def error(code: str, message: str) -> str:
    return f"<error code={quoteattr(code)}>{escape(message)}</error>"


def identify(identity: Identity) -> str:
    return (
        "<Identify>"
        f"<repositoryName>{escape(identity.name)}</repositoryName>"
        f"<baseURL>{escape(identity.base_url)}</baseURL>"
        "<protocolVersion>2.0</protocolVersion>"
        f"<adminEmail>{escape(identity.admin_email)}</adminEmail>"
        f"<earliestDatestamp>{format_datestamp(identity.earliest)}</earliestDatestamp>"
        "<deletedRecord>persistent</deletedRecord>"
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
        "<description>"
        f'<oai-identifier xmlns="{OAI_IDENTIFIER_NS}" '
        f'xsi:schemaLocation="{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}">'
        "<scheme>oai</scheme>"
        f"<repositoryIdentifier>{escape(identity.repository_identifier)}</repositoryIdentifier>"
        "<delimiter>:</delimiter>"
        f"<sampleIdentifier>{escape(identity.sample_identifier)}</sampleIdentifier>"
        "</oai-identifier></description></Identify>"
    )


def metadata_formats(formats: Iterable[MetadataFormat]) -> str:
    items = "".join(
        "<metadataFormat>"
        f"<metadataPrefix>{escape(f.prefix)}</metadataPrefix>"
        f"<schema>{escape(f.schema)}</schema>"
        f"<metadataNamespace>{escape(f.namespace)}</metadataNamespace>"
        "</metadataFormat>"
        for f in formats
    )
    return f"<ListMetadataFormats>{items}</ListMetadataFormats>"


def sets(entries: Iterable[tuple[str, str]]) -> str:
    items = "".join(
        f"<set><setSpec>{escape(spec)}</setSpec><setName>{escape(name)}</setName></set>"
        for spec, name in entries
    )
    return f"<ListSets>{items}</ListSets>"


def header(h: Header) -> str:
    status = ' status="deleted"' if h.deleted else ""
    specs = "".join(f"<setSpec>{_text(s)}</setSpec>" for s in h.set_specs)
    return (
        f"<header{status}><identifier>{_text(h.identifier)}</identifier>"
        f"<datestamp>{format_datestamp(h.datestamp)}</datestamp>{specs}</header>"
    )


def _text(value: str) -> str:
    """``escape``, skipped for the common case of nothing to escape (identifiers, sets)."""
    return escape(value) if ("&" in value or "<" in value or ">" in value) else value


def record(h: Header, metadata: str | None) -> str:
    return stored_record(header(h), h.deleted, metadata)


def stored_record(header_xml: str, deleted: bool, metadata: str | None) -> str:
    """A ``<record>`` joined from a stored header and stored metadata."""
    if deleted or metadata is None:
        return f"<record>{header_xml}</record>"
    return f"<record>{header_xml}<metadata>{metadata}</metadata></record>"


def list_page(verb: str, items: list[str], token: Token | None) -> str:
    return f"<{verb}>{''.join(items)}{resumption_token(token) if token else ''}</{verb}>"


def resumption_token(token: Token) -> str:
    attributes = f' completeListSize="{token.complete_list_size}" cursor="{token.cursor}"'
    if token.value is None:
        return f"<resumptionToken{attributes}/>"
    expires = f' expirationDate="{format_datestamp(token.expires)}"' if token.expires else ""
    return f"<resumptionToken{expires}{attributes}>{escape(token.value)}</resumptionToken>"


def get_record(item: str) -> str:
    return f"<GetRecord>{item}</GetRecord>"

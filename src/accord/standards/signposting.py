"""FAIR Signposting (https://signposting.org/FAIR/, level 1) as HTTP ``Link`` headers
(RFC 8288) on landing pages: ``cite-as`` (the persistent identifier), ``describedby``
(metadata records with their types), ``item`` (the files), ``license``, ``author`` and
``type`` (schema.org ``Dataset`` and ``AboutPage``).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.catalog.metadata import Tier
from accord.standards.exports import EXPORTS, ExportName
from accord.standards.record import VersionRecord

MAX_ITEMS = 100
DESCRIBED_BY = (
    ExportName.DATACITE_XML,
    ExportName.DATACITE_JSON,
    ExportName.SCHEMA_ORG,
    ExportName.DCAT_TURTLE,
)


@dataclass(frozen=True)
class Link:
    href: str
    rel: str
    type: str | None = None
    profile: str | None = None

    def render(self) -> str:
        text = f'<{self.href}>; rel="{self.rel}"'
        if self.type:
            text += f'; type="{self.type}"'
        if self.profile:
            text += f'; profile="{self.profile}"'
        return text


def landing_links(record: VersionRecord) -> list[Link]:
    """The Signposting links of a published version's landing page."""
    links = [Link(record.identifier_url, "cite-as")]
    links += [
        Link(record.export_url(name), "describedby", EXPORTS[name].media_type)
        for name in DESCRIBED_BY
    ]
    if record.metadata.tier is not Tier.RESTRICTED:
        links += [Link(f.content_url, "item", f.media_type) for f in record.files[:MAX_ITEMS]]
    links += [Link(r.rights_uri, "license") for r in record.metadata.rights_list if r.rights_uri]
    links += [
        Link(f"https://orcid.org/{c.orcid}", "author") for c in record.metadata.creators if c.orcid
    ]
    links += [
        Link("https://schema.org/AboutPage", "type"),
        Link("https://schema.org/Dataset", "type"),
    ]
    return links


def tombstone_links(record: VersionRecord) -> list[Link]:
    """A withdrawn version still says how it is cited and what it was."""
    return [Link(record.identifier_url, "cite-as"), Link("https://schema.org/AboutPage", "type")]


def link_header(links: list[Link]) -> str:
    return ", ".join(link.render() for link in links)

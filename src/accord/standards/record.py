"""``VersionRecord``: everything an export says about one dataset version, as plain values.

Exports are pure functions of a record (STYLE.md §1): the service reads the catalog and builds
the record; DataCite, schema.org, DCAT, PROV, RO-Crate and citation writers only read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.catalog.metadata import DatasetMetadata, Tier


@dataclass(frozen=True)
class NodeInfo:
    """The publishing node: its id, name and the absolute base URL of its pages and API."""

    node_id: str
    name: str
    base_url: str
    jurisdiction: str


@dataclass(frozen=True)
class OrganisationInfo:
    """The organisation that owns the dataset (DCAT publisher, PROV agent)."""

    id: str
    name: str
    country: str
    ror_id: str | None = None

    @property
    def ror_url(self) -> str | None:
        return f"https://ror.org/{self.ror_id}" if self.ror_id else None


@dataclass(frozen=True)
class FileEntry:
    """One file of a version; ``content_url`` is absolute."""

    id: str
    path: str
    size: int
    media_type: str
    sha256: str
    content_url: str


@dataclass(frozen=True)
class VersionLink:
    """Another version of the same dataset, for lineage (PROV) and version lists."""

    number: int
    pid: str
    state: str
    landing_url: str
    published_at: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class VersionRecord:
    """One version as exports see it. ``metadata`` is the validated catalog document."""

    node: NodeInfo
    organisation: OrganisationInfo
    dataset_id: str
    version_id: str
    number: int
    pid: str
    state: str
    metadata: DatasetMetadata
    files: tuple[FileEntry, ...]
    published_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime
    manifest_sha256: str | None
    versions: tuple[VersionLink, ...] = ()

    @property
    def landing_url(self) -> str:
        return version_url(self.node.base_url, self.dataset_id, self.number)

    @property
    def dataset_url(self) -> str:
        return dataset_url(self.node.base_url, self.dataset_id)

    @property
    def identifier_url(self) -> str:
        """The URL a citation points at: the DOI when there is one, else the landing page."""
        doi = self.metadata.doi
        return f"https://doi.org/{doi}" if doi else self.landing_url

    @property
    def tier(self) -> Tier:
        return self.metadata.tier

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def previous(self) -> VersionLink | None:
        earlier = [v for v in self.versions if v.number < self.number and v.published_at]
        return max(earlier, key=lambda v: v.number) if earlier else None

    @property
    def following(self) -> VersionLink | None:
        later = [v for v in self.versions if v.number > self.number and v.published_at]
        return min(later, key=lambda v: v.number) if later else None

    def export_url(self, name: str) -> str:
        """Absolute URL of one of this version's exports (``datacite.xml``, ``ro-crate.zip``…)."""
        return f"{self.node.base_url}{export_path(self.dataset_id, self.number, name)}"


def dataset_url(base_url: str, dataset_id: str) -> str:
    return f"{base_url}/datasets/{dataset_id}"


def version_url(base_url: str, dataset_id: str, number: int) -> str:
    return f"{base_url}/datasets/{dataset_id}/versions/{number}"


def export_path(dataset_id: str, number: int, name: str) -> str:
    return f"/api/v1/datasets/{dataset_id}/versions/{number}/exports/{name}"

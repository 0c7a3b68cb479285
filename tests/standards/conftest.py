"""Standards fixtures: a steward of an organisation with a ROR id, and published datasets made
through the catalog's own API (uploads over tus, publication), so exports see real versions."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import accord.standards.oai.index  # noqa: F401  (installs the harvest-index listener)
from accord.catalog import service as catalog_service
from accord.catalog.metadata import parse_metadata
from accord.identity.permissions import Role
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.browser.conftest import browser, page  # noqa: F401  (browser tests use them)
from tests.catalog.conftest import Catalog, metadata_document
from tests.conftest import Account, MakeAccount

ROR = "05gq02987"
ORCID = "0000-0002-1825-0097"

RICH = {
    "doi": "10.5281/zenodo.1234567",
    "titles": [
        {"title": "Household malaria survey, Kisumu 2021", "lang": "en"},
        {"title": "Enquête paludisme", "title_type": "TranslatedTitle", "lang": "fr"},
    ],
    "contributors": [
        {"name": "Okoye, Samuel", "contributor_type": "DataCurator", "name_type": "Personal"},
        {
            "name": "Kisumu County Health",
            "contributor_type": "Sponsor",
            "name_type": "Organizational",
        },
    ],
    "related_identifiers": [
        {
            "related_identifier_type": "DOI",
            "related_identifier": "10.1000/182",
            "relation_type": "IsDerivedFrom",
        },
        {
            "related_identifier_type": "URL",
            "related_identifier": "https://example.org/paper",
            "relation_type": "IsCitedBy",
        },
    ],
    "geo_locations": [
        {
            "geo_location_place": "Kisumu",
            "geo_location_point": {"point_longitude": 34.76, "point_latitude": -0.09},
        },
        {
            "geo_location_box": {
                "west_bound_longitude": 33.9,
                "east_bound_longitude": 35.3,
                "south_bound_latitude": -0.6,
                "north_bound_latitude": 0.3,
            }
        },
    ],
    "funding_references": [
        {
            "funder_name": "Wellcome Trust",
            "funder_identifier_type": "ROR",
            "funder_identifier": "029chgv08",
            "award_number": "221234/Z/20/Z",
        },
    ],
    "subjects": [
        {
            "subject": "Malaria",
            "subject_scheme": "MeSH",
            "scheme_uri": "https://id.nlm.nih.gov/mesh/",
            "value_uri": "https://id.nlm.nih.gov/mesh/D008288",
        },
        {"subject": "Public health", "subject_scheme": "FOS"},
    ],
    "sizes": ["1200 households"],
    "formats": ["text/csv"],
}


@dataclass
class Published:
    """A published version as the catalog API returned it."""

    document: dict[str, Any]

    @property
    def dataset_id(self) -> str:
        return str(self.document["dataset_id"])

    @property
    def number(self) -> int:
        return int(self.document["number"])

    @property
    def pid(self) -> str:
        return str(self.document["pid"])

    def path(self, suffix: str = "") -> str:
        return f"/api/v1/datasets/{self.dataset_id}/versions/{self.number}{suffix}"


@pytest.fixture
def organisation(make_org: Callable[..., str]) -> str:
    return make_org("Nairobi Centre for Genomic Medicine", "KE", ROR)


@pytest.fixture
def steward(make_account: MakeAccount, organisation: str) -> Account:
    return make_account(Role.STEWARD, country="KE", organisation_id=organisation)


@pytest.fixture
def catalog(client: TestClient, steward: Account, organisation: str) -> Catalog:
    return Catalog(client, steward, organisation)


PublishFn = Callable[..., Published]


@pytest.fixture
def publish(catalog: Catalog) -> PublishFn:
    """``publish(tier="controlled", **metadata changes)`` → a published version."""

    def make(files: dict[str, bytes] | None = None, **changes: Any) -> Published:
        return Published(catalog.published(files, **changes))

    return make


def document(organisation: str, **changes: Any) -> dict[str, Any]:
    return metadata_document(organisation, **changes)


@dataclass
class Served:
    """The test app on a real loopback HTTP server (for real clients such as sickle)."""

    url: str


@pytest.fixture
def served(app: FastAPI) -> Iterator[Served]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=1)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    yield Served(f"http://127.0.0.1:{port}")
    server.should_exit = server.force_exit = True
    thread.join(timeout=10)
    sock.close()


PublishMany = Callable[..., list[tuple[str, int]]]


@pytest.fixture
def publish_many(node: NodeContext, organisation: str, operator: Principal) -> PublishMany:
    """``publish_many(n, tier=...)``: ``n`` published datasets made through the catalog's
    services in one transaction (fast enough for lists of tens of records)."""
    counter = iter(range(1_000_000))

    def make(n: int, **changes: Any) -> list[tuple[str, int]]:
        made: list[tuple[str, int]] = []
        with node.session() as session:
            blob = ingest_chunks(blob_store_of(node), [b"id,value\n1,2\n"])
            for _ in range(n):
                title = [{"title": f"Survey number {next(counter)}", "lang": "en"}]
                meta = parse_metadata(document(organisation, titles=title, **changes))
                version = catalog_service.create_dataset(session, operator, meta)
                catalog_service.add_file(
                    session, operator, version.dataset_id, 1, path="data/table.csv", blob=blob
                )
                catalog_service.publish(session, operator, version.dataset_id, 1)
                made.append((version.dataset_id, 1))
            session.commit()
        return made

    return make


@pytest.fixture(scope="session")
def roc_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One HTTP cache folder for roc-validator per test session (its requester is a singleton)."""
    return tmp_path_factory.mktemp("roc-validator")


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For tests whose subject does not touch SQL that differs between back ends (rendering,
negotiation, access rules): they run once, on SQLite, to keep the suite's time for the tests
whose queries do differ (harvest lists, the index, imports), which run on both."""

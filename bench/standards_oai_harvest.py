"""OAI-PMH harvest throughput: a real harvester (sickle) takes every record of a real node
(``accord serve``, SQLite) through resumption tokens, keeping each record it parses.

Side by side in the same run, on the same pages:
- the server alone: the same requests fetched with httpx, nothing parsed;
- the client alone (the baseline): sickle parsing those pages from memory, no HTTP, which is
  the ceiling any harvest by this client can reach.
Prints records/s for each and the harvest's ratio to the client's ceiling. Goal: the harvest
takes 100,000 records at 10,000 records/s or more. The machine may be shared, so the CPU time
the harvest costs is printed too (client: this process; server: the node's process), with the
rate those CPU costs allow when each side has a core of its own.

The index is filled directly with rows rendered from 100 distinct versions (rendering 100,000
DataCite records would only time the renderer); every row has its own identifier, datestamp,
set and ``seq``, and one in a thousand is a deleted record.

    .venv/bin/python bench/standards_oai_harvest.py [--records 100000] [--prefix oai_dc]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psutil
from lxml import etree
from sickle import Sickle
from sickle.models import Record
from sqlalchemy import insert, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.catalog.metadata import DatasetMetadata
from accord.config import Settings
from accord.db import make_engine
from accord.standards.oai import responses
from accord.standards.oai.formats import datacite_resource, oai_dc
from accord.standards.oai.index import header_of
from accord.standards.oai.models import OaiCounter, OaiRecord
from tests.live import make_live_node
from tests.standards.builders import MINIMAL, record

TEMPLATES = 100
TIERS = ("open", "registered", "controlled", "restricted")
OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"


def seed(data_dir: Path, count: int, host: str) -> None:
    """``count`` harvest records in the node's database, in ``seq`` order."""
    rendered = []
    for n in range(TEMPLATES):
        meta = DatasetMetadata.model_validate(
            {**MINIMAL, "titles": [{"title": f"Household survey {n}", "lang": "en"}]}
        )
        version = record(meta)
        rendered.append((oai_dc(version), datacite_resource(version)))
    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for first in range(0, count, 10_000):
            rows = []
            for i in range(first, min(first + 10_000, count)):
                dc, datacite = rendered[i % TEMPLATES]
                deleted = i % 1000 == 999
                row = {
                    "version_id": f"dv_{i:026d}",
                    "seq": i + 1,
                    "identifier": f"oai:{host}:bench/ds_{i:026d}@v1",
                    "dataset_id": f"ds_{i:026d}",
                    "number": 1,
                    "organisation_id": f"org_{i % 7:026d}",
                    "tier": TIERS[i % 4],
                    "datestamp": start + timedelta(seconds=i),
                    "deleted": deleted,
                    "oai_dc": None if deleted else dc,
                    "datacite": None if deleted else datacite,
                }
                rows.append({**row, "header": responses.header(header_of(SimpleNamespace(**row)))})
            connection.execute(insert(OaiRecord), rows)
        connection.execute(update(OaiCounter).values(value=count))
    engine.dispose()


def harvest(url: str, prefix: str, server: psutil.Process) -> tuple[int, float, float, float]:
    """A real harvest: sickle follows the resumption tokens; every record is parsed and kept.
    Returns the count, wall seconds, and the CPU seconds of the client and of the server."""
    store: dict[str, Any] = {}
    server_before = sum(server.cpu_times()[:2])
    client_before = time.process_time()
    began = time.perf_counter()
    for item in Sickle(url, max_retries=0, timeout=60).ListRecords(
        metadataPrefix=prefix, ignore_deleted=False
    ):
        store[item.header.identifier] = item
    wall = time.perf_counter() - began
    client_cpu = time.process_time() - client_before
    return len(store), wall, client_cpu, sum(server.cpu_times()[:2]) - server_before


def fetch_pages(url: str, prefix: str) -> tuple[list[bytes], float]:
    """The same list requests with no parsing beyond finding the next token."""
    pages: list[bytes] = []
    params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": prefix}
    began = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        while True:
            body = client.get(url, params=params).content
            pages.append(body)
            tail = body[-2000:]
            start = tail.find(b"<resumptionToken")
            close = tail.find(b"</resumptionToken>")
            if start < 0 or close < 0:
                break
            token = tail[tail.index(b">", start) + 1 : close].decode()
            params = {"verb": "ListRecords", "resumptionToken": token}
    return pages, time.perf_counter() - began


def parse_only(pages: list[bytes]) -> tuple[int, float]:
    """The client's ceiling: sickle's record parsing over pages already in memory."""
    store: dict[str, Any] = {}
    began = time.perf_counter()
    for body in pages:
        root = etree.fromstring(body)
        for element in root.iter(f"{OAI_NS}record"):
            item = Record(element)
            store[item.header.identifier] = item
    return len(store), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--prefix", default="oai_dc", choices=["oai_dc", "oai_datacite", "datacite"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        node = make_live_node(Path(folder) / "node")
        node.init()
        seed(node.data_dir, args.records, "127.0.0.1")
        node.start()
        url = f"{node.url}/oai"
        try:
            assert node.process is not None
            fetched, fetch_time = fetch_pages(url, args.prefix)
            server = psutil.Process(node.process.pid)
            harvested, harvest_time, client_cpu, server_cpu = harvest(url, args.prefix, server)
        finally:
            node.stop()
    parsed, parse_time = parse_only(fetched)
    if not harvested == parsed == args.records:
        raise SystemExit(f"harvested {harvested}, parsed {parsed}, expected {args.records}")
    harvest_rate = harvested / harvest_time
    ceiling = parsed / parse_time
    print(f"records: {args.records} ({args.prefix}, {len(fetched)} pages)")
    print(f"harvest (sickle over HTTP, parse and keep): {harvest_rate:,.0f} records/s "
          f"({harvest_time:.1f} s)")  # fmt: skip
    print(f"server alone (httpx, no parsing):          {args.records / fetch_time:,.0f} records/s")
    print(f"baseline, client alone (sickle, in memory): {ceiling:,.0f} records/s")
    print(f"ratio harvest / client ceiling: {harvest_rate / ceiling:.2f}")
    print(
        f"CPU of the harvest: client {client_cpu:.1f} s, server {server_cpu:.1f} s "
        f"({harvested / client_cpu:,.0f} and {harvested / server_cpu:,.0f} records per CPU second)"
    )
    unloaded = harvested / (client_cpu + server_cpu)
    print(f"rate with a core for each side, serial requests: {unloaded:,.0f} records/s")
    print(
        f"goal ≥ 10,000 records/s: {'met' if harvest_rate >= 10_000 else 'NOT met'} (wall clock); "
        f"{'met' if unloaded >= 10_000 else 'NOT met'} (CPU time)"
    )


if __name__ == "__main__":
    main()

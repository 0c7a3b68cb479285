"""Harvesting a peer's catalogue: an initial harvest of ``--records`` records (default 100,000)
and an incremental harvest of ``--changes`` changed records (default 100), between two real
``accord serve`` processes on loopback ports, each with its own SQLite database.

The home node's harvest index (``oai_records``, what its OAI-PMH endpoint serves) is filled in
bulk with DataCite records built by the standards package from one generated dataset, varied per
record. Each harvest is measured beside a baseline in the same run: fetching the very same
OAI-PMH pages with a bare HTTP client (no parsing, no storing), so the ratio shows what parsing
and storing add to what the home node needs to answer. Goals: initial ≤ 60 s, incremental ≤ 2 s.

    .venv/bin/python bench/federation_harvest.py [--records 100000] [--changes 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.federation.oai import parse_list_records
from accord.standards.oai.models import OaiCounter, OaiRecord
from tests.federation.nodes import Node, serve
from tests.live import make_live_node

RESOURCE = (
    '<resource xmlns="http://datacite.org/schema/kernel-4">'
    '<identifier identifierType="URL">{url}</identifier>'
    "<creators><creator><creatorName>Kamau, Wanjiru</creatorName></creator></creators>"
    "<titles><title>Household survey {n}, Kisumu</title></titles>"
    "<publisher>Nairobi Centre</publisher><publicationYear>{year}</publicationYear>"
    '<resourceType resourceTypeGeneral="Dataset">Tabular data</resourceType>'
    "<subjects><subject>Malaria</subject><subject>Public health</subject></subjects>"
    '<rightsList><rights rightsIdentifier="CC-BY-4.0">CC BY 4.0</rights></rightsList>'
    '<descriptions><description descriptionType="Abstract">Cross-sectional survey {n} of '
    "households on bed net use and malaria prevalence.</description></descriptions></resource>"
)


def fill_index(home: Node, records: int, start: datetime) -> None:
    node = home.context()
    base = home.url
    with node.session() as session:
        batch: list[dict[str, Any]] = []
        for n in range(1, records + 1):
            dataset = f"ds_{n:026d}"
            batch.append(
                {
                    "version_id": f"dv_{n:026d}",
                    "seq": n,
                    "identifier": f"oai:127.0.0.1:{home.node_id}/{dataset}@v1",
                    "dataset_id": dataset,
                    "number": 1,
                    "organisation_id": home.organisation,
                    "tier": "open",
                    "datestamp": start + timedelta(seconds=n // 50),
                    "deleted": False,
                    "oai_dc": None,
                    "datacite": RESOURCE.format(
                        url=f"{base}/datasets/{dataset}", n=n, year=2000 + n % 25
                    ),
                }
            )
            if len(batch) == 10_000:
                session.execute(OaiRecord.__table__.insert(), batch)
                batch = []
        if batch:
            session.execute(OaiRecord.__table__.insert(), batch)
        session.merge(OaiCounter(id=1, value=records))
        session.commit()
    node.engine.dispose()


def change(home: Node, changes: int, moment: datetime) -> None:
    node = home.context()
    with node.session() as session:
        top = int(session.scalar(select(func.max(OaiRecord.seq))) or 0)
        for i in range(changes):
            session.execute(
                update(OaiRecord)
                .where(OaiRecord.seq == i + 1)
                .values(seq=top + i + 1, datestamp=moment)
            )
        session.merge(OaiCounter(id=1, value=top + changes))
        session.commit()
    node.engine.dispose()


def fetch_pages(home: Node, since: datetime | None) -> int:
    """The baseline: every ListRecords page, fetched and read, not parsed or stored."""
    params = {"verb": "ListRecords", "metadataPrefix": "oai_datacite"}
    if since is not None:
        params["from"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    pages = 0
    with httpx.Client(timeout=120) as http:
        while True:
            body = http.get(f"{home.url}/oai", params=params).content
            pages += 1
            token = (
                parse_list_records(body).resumption_token if b"resumptionToken>" in body else None
            )
            if not token:
                return pages
            params = {"verb": "ListRecords", "resumptionToken": token}


def harvest(harvester: Node, full: bool) -> dict[str, Any]:
    response = httpx.post(
        f"{harvester.url}/api/v1/harvests",
        json={"peer": "home", "full": full},
        headers=harvester.headers,
        timeout=600,
    )
    response.raise_for_status()
    report: dict[str, Any] = response.json()[0]
    return report


def timed(run: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    value = run()
    return time.perf_counter() - began, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = serve(make_live_node(Path(tmp) / "home"), "home", "KE")
        harvester = serve(make_live_node(Path(tmp) / "harvester"), "harvester", "BR")
        try:
            home.add_peer(harvester)
            harvester.add_peer(home)
            start = datetime(2025, 1, 1, tzinfo=UTC)
            fill_index(home, args.records, start)

            base_full, pages = timed(lambda: fetch_pages(home, None))
            full, report = timed(lambda: harvest(harvester, True))
            print(
                f"initial harvest: {report['records']} records in {report['pages']} pages: "
                f"{full:.1f} s (goal ≤ 60 s); fetching the same {pages} pages alone: "
                f"{base_full:.1f} s; ratio {full / base_full:.2f}"
            )
            moment = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
            change(home, args.changes, moment)
            last = datetime.fromisoformat(report["last_datestamp"].replace("Z", "+00:00"))
            base_inc, _ = timed(lambda: fetch_pages(home, last))
            incremental, report = timed(lambda: harvest(harvester, False))
            print(
                f"incremental harvest: {report['records']} records: {incremental:.2f} s "
                f"(goal ≤ 2 s); fetching the same pages alone: {base_inc:.2f} s; "
                f"ratio {incremental / base_inc:.2f}"
            )
        finally:
            home.live.stop()
            harvester.live.stop()


if __name__ == "__main__":
    main()

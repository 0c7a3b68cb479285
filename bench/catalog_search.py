"""Faceted catalogue search at scale: p95 latency through the API against the raw FTS5 query.

Builds a node with ``--datasets`` generated datasets (default 100,000), inserted in bulk through
the same tables the catalog service fills (``datasets``, ``dataset_versions``, ``catalog_search``
and its subjects, with the FTS5 index kept by the migration's triggers) and the same row builder
(``accord.catalog.search_index.search_values``). Then runs ``--queries`` faceted queries (one to
two words plus zero to two facet filters) two ways, interleaved, in one run:

- through the API: ``GET /api/v1/datasets`` on a real ``accord serve`` process (HTTP keep-alive),
  which answers with the page, the total and six facets' counts;
- raw FTS5: the same words and filters as one hand-written SQL query on the same database file
  (``MATCH`` + filters, ranked by bm25, first page), via the ``sqlite3`` module.

Prints p50/p95 of both and the ratio of the p95s. Goals: API p95 < 50 ms, ratio ≤ 3.

    .venv/bin/python bench/catalog_search.py [--datasets 100000] [--queries 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import Dataset, DatasetVersion, SearchEntry, SearchSubject
from accord.catalog.pids import version_pid
from accord.catalog.search_index import rebuild_facet_counts, search_values, subject_values
from accord.config import Settings
from accord.identity import schemas, service
from accord.identity.principal import local_operator
from accord.ids import new_id
from accord.node import NodeContext, read_identity
from accord.setup import initialise
from accord.web.app import create_app
from tests.live import free_port

BATCH = 5_000


def words_of(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PAGE = 20
TIERS = ("open", "registered", "controlled", "restricted")
LICENCES = ("CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "MIT")
COUNTRIES = ("BR", "KE", "CH", "DE", "IN", "ZA", "GH", "CO", "VN", "ID", "NG", "PE", "FR", "TZ")
SUBJECTS = (
    "Malaria", "Tuberculosis", "HIV Infections", "Dengue", "Cholera", "Diabetes Mellitus",
    "Hypertension", "Asthma", "Air Pollution", "Climate Change", "Nutrition", "Pregnancy",
    "Child Health", "Mental Health", "Vaccination", "Genomics", "Antimicrobial Resistance",
    "Epidemiology", "Health Services", "Demography", "Zika Virus", "Obesity", "Ageing",
    "Neoplasms", "Sickle Cell Anemia", "Measles", "Water Supply", "Sanitation", "COVID-19",
    "Influenza",
)  # fmt: skip
TOPICS = words_of(
    "survey household cohort registry surveillance trial panel census clinic hospital "
    "prevalence incidence mortality outcomes exposure screening treatment adherence children "
    "adults elderly women newborn rural urban district county municipality region longitudinal "
    "baseline national coastal highland river delta mining settlement school workplace prison "
    "migrant refugee genotypes sequencing biomarkers serology imaging questionnaire interviews "
    "records claims pharmacy laboratory anthropometry income education water sanitation "
    "temperature rainfall heat flood drought smoke traffic noise mosquitoes vectors antibiotics "
    "antimalarial antiretroviral insulin glucose anaemia stunting wasting smoking alcohol injuries "
    "violence depression anxiety dementia"
)
SYLLABLES = words_of("ka lo mi ne su ta ri vo be da fe gu hi jo ku la mo nu pi ro sa te wu ye zo")
VOCABULARY = 3_000
FIRST = ("Amira", "João", "Wanjiru", "Lena", "Samuel", "Mei", "Carlos", "Aisha", "Ravi", "Ana")
LAST = ("Haddad", "Pereira", "Kamau", "Fischer", "Okoye", "Tanaka", "Ruiz", "Mensah", "Iyer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None, help="Keep the node here")
    parser.add_argument("--http", action="store_true", help="Also measure over real HTTP")
    parser.add_argument("--reuse", action="store_true", help="Query an existing --data-dir")
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="accord-bench-catalog-"))
    settings = Settings(data_dir=folder, database_url=None)
    rng = random.Random(args.seed)

    started = time.perf_counter()
    words = vocabulary(rng)
    if args.reuse:
        orgs = existing_organisations(settings)
    else:
        orgs = build_node(settings, rng)
        load(settings, orgs, words, args.datasets, rng)
        print(f"loaded {args.datasets} datasets in {time.perf_counter() - started:.1f} s")
    print(f"node: {folder}")

    queries = [make_query(rng, words, orgs) for _ in range(args.queries)]
    report("in-process ASGI", in_process(settings, queries), cpu=True)
    if args.http:
        report("HTTP, accord serve", over_http(settings, queries), cpu=False)


# --- building the node ------------------------------------------------------------------------


def build_node(settings: Settings, rng: random.Random) -> list[tuple[str, str, str]]:
    """A node with 40 organisations; returns (id, name, country) for each."""
    report = initialise(
        settings, node_id="bench", name="Bench", jurisdiction="CH", admin_email="a@bench.example"
    )
    orgs = []
    with report.node.session() as session:
        for n in range(40):
            country = COUNTRIES[n % len(COUNTRIES)]
            org = service.create_organisation(
                session,
                local_operator(),
                schemas.OrganisationCreate(
                    name=f"{rng.choice(TOPICS).title()} Institute {n}", country=country
                ),
            )
            orgs.append((org.id, org.name, country))
        session.commit()
    report.node.engine.dispose()
    return orgs


def existing_organisations(settings: Settings) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(settings.data_dir / "accord.db")
    rows = conn.execute("SELECT id, name, country FROM organisations ORDER BY id").fetchall()
    conn.close()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def load(
    settings: Settings,
    orgs: list[tuple[str, str, str]],
    words: list[str],
    count: int,
    rng: random.Random,
) -> None:
    """Insert ``count`` published datasets in batches through the catalog's own tables, then
    merge the full-text index's segments and checkpoint the WAL (what an operator does after
    a bulk import; both ways of querying below read the same merged index)."""
    identity = read_identity(settings.data_dir)
    assert identity is not None
    node = NodeContext(settings, identity)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with node.engine.begin() as conn:
        for first in range(0, count, BATCH):
            rows = [dataset_rows(rng, words, orgs, start) for _ in range(min(BATCH, count - first))]
            conn.execute(insert(Dataset), [r[0] for r in rows])
            conn.execute(insert(DatasetVersion), [r[1] for r in rows])
            conn.execute(insert(SearchEntry), [r[2] for r in rows])
            ids = dict(
                conn.execute(
                    SearchEntry.__table__.select()
                    .with_only_columns(SearchEntry.dataset_id, SearchEntry.id)
                    .where(SearchEntry.dataset_id.in_([r[0]["id"] for r in rows]))
                ).all()
            )
            subjects = [{"search_id": ids[r[0]["id"]], "subject": s} for r in rows for s in r[3]]
            conn.execute(insert(SearchSubject), subjects)
        rebuild_facet_counts(Session(bind=conn))
        conn.exec_driver_sql("INSERT INTO catalog_fts(catalog_fts) VALUES ('optimize')")
    node.engine.dispose()
    raw = sqlite3.connect(settings.data_dir / "accord.db")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


def dataset_rows(
    rng: random.Random, words: list[str], orgs: list[tuple[str, str, str]], start: datetime
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
    org = rng.choice(orgs)
    org_id, org_name, _ = org
    published = start + timedelta(minutes=rng.randrange(5_000_000))
    metadata = DatasetMetadata.model_validate(document(rng, words, org, published))
    dataset_id, version_id = new_id("ds"), new_id("dv")
    dataset = {"id": dataset_id, "organisation_id": org_id, "created_by": "operator",
               "created_at": published}  # fmt: skip
    version = {
        "id": version_id, "dataset_id": dataset_id, "number": 1, "state": "published",
        "metadata": metadata.as_json(), "title": metadata.title, "tier": metadata.tier.value,
        "licence": metadata.licence, "created_by": "operator", "created_at": published,
        "updated_at": published, "published_at": published,
    }  # fmt: skip
    entry = search_values(
        dataset_id=dataset_id,
        version_id=version_id,
        number=1,
        pid=version_pid("bench", dataset_id, 1),
        state="published",
        metadata=metadata,
        organisation_name=org_name,
        published_at=published,
    )
    return dataset, version, entry, subject_values(metadata)


def vocabulary(rng: random.Random) -> list[str]:
    """Distinct pseudo-words (two to four syllables): a catalogue's long tail of terms."""
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


def document(
    rng: random.Random,
    words: list[str],
    org: tuple[str, str, str],
    published: datetime,
) -> dict[str, Any]:
    """Title: a subject, two topic words and two vocabulary words; a 30-word description."""
    org_id, org_name, country = org
    subjects = rng.sample(SUBJECTS, rng.randint(1, 3))
    title = [subjects[0], *rng.sample(TOPICS, 2), *rng.sample(words, 2)]
    return {
        "titles": [{"title": " ".join(title).capitalize()}],
        "creators": [
            {"name": f"{rng.choice(LAST)}, {rng.choice(FIRST)}"} for _ in range(rng.randint(1, 3))
        ],
        "publisher": {"name": org_name},
        "publication_year": published.year,
        "descriptions": [{"description": " ".join(rng.choices(words, k=30)) + "."}],
        "subjects": [{"subject": s, "subject_scheme": "MeSH"} for s in subjects],
        "keywords": rng.sample(TOPICS, 3),
        "rights_list": [{"rights_identifier": rng.choice(LICENCES)}],
        "tier": rng.choice(TIERS),
        "organisation_id": org_id,
        "country_of_origin": country,
    }


# --- the queries ----------------------------------------------------------------------------


def make_query(
    rng: random.Random, words: list[str], orgs: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """One to two words (topic words, subjects or long-tail terms) and zero to two filters."""
    pool = rng.choice((TOPICS, TOPICS, [s.split()[0] for s in SUBJECTS], words))
    query: dict[str, Any] = {"q": " ".join(rng.sample(pool, rng.choice((1, 1, 2))))}
    facets = {
        "tier": lambda: rng.choice(TIERS),
        "licence": lambda: rng.choice(LICENCES),
        "country": lambda: rng.choice(COUNTRIES),
        "subject": lambda: rng.choice(SUBJECTS),
        "year": lambda: str(rng.randint(2015, 2024)),
        "organisation": lambda: rng.choice(orgs)[0],
    }
    for name in rng.sample(sorted(facets), rng.choice((0, 1, 1, 2))):
        query[name] = facets[name]()
    return query


RAW_COLUMNS = {
    "tier": "s.tier",
    "licence": "s.licence",
    "country": "s.country",
    "organisation": "s.organisation_id",
    "year": "s.year",
}


def raw_fts5(conn: sqlite3.Connection, query: dict[str, Any]) -> list[Any]:
    """The same words and filters as one hand-written FTS5 query: ranked first page.

    ``CROSS JOIN`` keeps SQLite's planner starting from the full-text index (the fast plan)."""
    match = " ".join(f'"{w.lower()}"' for w in query["q"].split())
    sql = [
        "SELECT s.* FROM catalog_fts CROSS JOIN catalog_search s ON s.id = catalog_fts.rowid",
        "WHERE catalog_fts MATCH ? AND s.state = 'published'",
    ]
    params: list[Any] = [match]
    for name, value in query.items():
        if name in RAW_COLUMNS:
            sql.append(f"AND {RAW_COLUMNS[name]} = ?")
            params.append(int(value) if name == "year" else value)
        elif name == "subject":
            sql.append(
                "AND s.id IN (SELECT search_id FROM catalog_search_subjects WHERE subject = ?)"
            )
            params.append(value)
    sql.append(f"ORDER BY catalog_fts.rank LIMIT {PAGE + 1}")
    return conn.execute(" ".join(sql), params).fetchall()


@dataclass
class Timing:
    """Per query: wall-clock ms through the API and raw, CPU ms of this process (all threads;
    meaningful when the API runs in-process), and the number of matches."""

    api_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    api_cpu_ms: list[float] = field(default_factory=list)
    raw_cpu_ms: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


def measure(get: Any, conn: sqlite3.Connection, queries: list[dict[str, Any]]) -> Timing:
    """Each query through ``get`` (the API) and raw, interleaved, after one warm-up pass."""
    for query in queries:
        get(query)
        raw_fts5(conn, query)
    timing = Timing()
    for query in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        body = get(query)
        timing.api_ms.append((time.perf_counter() - wall) * 1000)
        timing.api_cpu_ms.append((time.process_time() - cpu) * 1000)
        timing.totals.append(body["total"])
        wall, cpu = time.perf_counter(), time.process_time()
        raw_fts5(conn, query)
        timing.raw_ms.append((time.perf_counter() - wall) * 1000)
        timing.raw_cpu_ms.append((time.process_time() - cpu) * 1000)
    return timing


def in_process(settings: Settings, queries: list[dict[str, Any]]) -> Timing:
    """The whole app (middleware, routing, auth, validation, serialisation) over ASGI, without
    sockets: what the API itself costs."""
    identity = read_identity(settings.data_dir)
    assert identity is not None
    app = create_app(NodeContext(settings, identity))
    conn = sqlite3.connect(f"file:{settings.data_dir / 'accord.db'}?mode=ro", uri=True)
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")

    def get(query: dict[str, Any]) -> Any:
        response = loop.run_until_complete(client.get("/api/v1/datasets", params=query))
        response.raise_for_status()
        return response.json()

    try:
        return measure(get, conn, queries)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        conn.close()


def over_http(settings: Settings, queries: list[dict[str, Any]]) -> Timing:
    """A real ``accord serve`` process, HTTP/1.1 keep-alive from this process."""
    port = free_port()
    log = (settings.data_dir / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "accord", "--data-dir", str(settings.data_dir),
         "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    conn = sqlite3.connect(f"file:{settings.data_dir / 'accord.db'}?mode=ro", uri=True)
    try:
        wait_ready(url)
        with httpx.Client(base_url=url, timeout=30) as client:

            def get(query: dict[str, Any]) -> Any:
                response = client.get("/api/v1/datasets", params=query)
                response.raise_for_status()
                return response.json()

            return measure(get, conn, queries)
    finally:
        conn.close()
        server.terminate()
        server.wait(timeout=20)


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def report(label: str, timing: Timing, *, cpu: bool) -> None:
    api95, raw95 = p95(timing.api_ms), p95(timing.raw_ms)
    ratio = api95 / raw95
    print(f"[{label}] {len(timing.api_ms)} queries; matches per query: median "
          f"{statistics.median(timing.totals):.0f}, max {max(timing.totals)}")  # fmt: skip
    print(f"  API (page + total + 6 facets): p50 {statistics.median(timing.api_ms):7.2f} ms  "
          f"p95 {api95:7.2f} ms   goal < 50 ms: {'ok' if api95 < 50 else 'MISSED'}")  # fmt: skip
    print(f"  raw FTS5 (ranked first page):  p50 {statistics.median(timing.raw_ms):7.2f} ms  "
          f"p95 {raw95:7.2f} ms")  # fmt: skip
    print(f"  ratio of p95s (API / raw FTS5): {ratio:.2f}   goal <= 3: "
          f"{'ok' if ratio <= 3 else 'MISSED'}")  # fmt: skip
    if cpu:
        api_cpu, raw_cpu = p95(timing.api_cpu_ms), p95(timing.raw_cpu_ms)
        print(f"  CPU time (independent of other load): API p95 {api_cpu:.2f} ms, raw p95 "
              f"{raw_cpu:.2f} ms, ratio {api_cpu / raw_cpu:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

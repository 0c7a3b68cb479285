"""Catalogue search on SQLite FTS5 and PostgreSQL full text: the same results contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from accord.catalog import service
from accord.catalog.metadata import parse_metadata
from accord.catalog.models import FacetTally
from accord.catalog.search import FACETS
from accord.catalog.search_index import escape_key, rebuild_facet_counts, unescape_key
from accord.clock import SettableClock
from accord.identity.principal import Principal
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from accord.storage.ingest import ingest_chunks
from tests.catalog.conftest import assert_problem, metadata_document


def publish(node: NodeContext, operator: Principal, organisation: str, **changes: Any) -> str:
    """Create and publish a dataset through the service; returns its id."""
    changes.setdefault("descriptions", [{"description": "Tabular records, one row per case."}])
    changes.setdefault("keywords", [])
    with node.session() as session:
        version = service.create_dataset(
            session, operator, parse_metadata(metadata_document(organisation, **changes))
        )
        blob = ingest_chunks(blob_store_of(node), [changes.get("tier", "open").encode()])
        service.add_file(session, operator, version.dataset_id, 1, path="data.csv", blob=blob)
        service.publish(session, operator, version.dataset_id, 1)
        session.commit()
        return version.dataset_id


def title(text: str) -> list[dict[str, str]]:
    return [{"title": text}]


def subjects(*names: str) -> list[dict[str, str]]:
    return [{"subject": n, "subject_scheme": "MeSH"} for n in names]


@pytest.fixture
def corpus(
    node: NodeContext,
    operator: Principal,
    make_org: Callable[..., str],
    clock: SettableClock,
) -> dict[str, str]:
    """Five datasets across tiers, licences, subjects, countries, organisations and years."""
    ke = make_org("Nairobi Centre for Genomic Medicine", "KE")
    br = make_org("Instituto Nacional de Saúde Coletiva", "BR")
    rows = [
        (
            "malaria",
            ke,
            {
                "titles": title("Malaria prevalence survey"),
                "tier": "open",
                "subjects": subjects("Malaria", "Epidemiology"),
                "publication_year": 2021,
            },
        ),
        (
            "dengue",
            br,
            {
                "titles": title("Dengue cases by municipality"),
                "tier": "registered",
                "subjects": subjects("Dengue", "Epidemiology"),
                "publication_year": 2022,
                "rights_list": [{"rights_identifier": "CC0-1.0"}],
            },
        ),
        (
            "genomes",
            ke,
            {
                "titles": title("Pathogen genomes from clinics"),
                "tier": "controlled",
                "subjects": subjects("Genomics"),
                "publication_year": 2022,
                "keywords": ["sequencing", "surveillance"],
            },
        ),
        (
            "registry",
            br,
            {
                "titles": title("Birth registry extract"),
                "tier": "restricted",
                "subjects": subjects("Demography"),
                "publication_year": 2023,
                "descriptions": [{"description": "Births with malaria in pregnancy."}],
            },
        ),
        (
            "air",
            br,
            {
                "titles": title("Air quality sensors"),
                "tier": "open",
                "creators": [{"name": "Pereira, João", "name_type": "Personal"}],
                "subjects": subjects("Environment"),
                "publication_year": 2023,
                "country_of_origin": "CH",
            },
        ),
    ]
    ids: dict[str, str] = {}
    for name, org, changes in rows:
        ids[name] = publish(node, operator, org, **changes)
        clock.advance(timedelta(hours=1))
    ids["KE"], ids["BR"] = ke, br
    return ids


def run(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/datasets", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids_of(body: dict[str, Any]) -> list[str]:
    return [hit["dataset_id"] for hit in body["items"]]


def counts(body: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in body["facets"][facet]}


def test_every_word_must_match_after_stemming(client: TestClient, corpus: dict[str, str]) -> None:
    assert ids_of(run(client, q="genome clinic")) == [corpus["genomes"]]
    assert ids_of(run(client, q="genome malaria")) == []
    assert ids_of(run(client, q="SURVEYS")) == [corpus["malaria"]]
    assert ids_of(run(client, q="Pereira")) == [corpus["air"]]
    assert ids_of(run(client, q="sequencing")) == [corpus["genomes"]]


def test_relevance_puts_title_hits_before_description_hits(
    client: TestClient, corpus: dict[str, str]
) -> None:
    body = run(client, q="malaria")
    assert ids_of(body) == [corpus["malaria"], corpus["registry"]]
    assert body["total"] == 2


def test_facets_count_the_whole_result(client: TestClient, corpus: dict[str, str]) -> None:
    body = run(client)
    assert body["total"] == 5
    assert counts(body, "tier") == {"open": 2, "registered": 1, "controlled": 1, "restricted": 1}
    assert counts(body, "licence") == {"CC-BY-4.0": 4, "CC0-1.0": 1}
    assert counts(body, "subject")["Epidemiology"] == 2
    assert counts(body, "country") == {"KE": 2, "BR": 2, "CH": 1}
    assert counts(body, "organisation") == {corpus["BR"]: 3, corpus["KE"]: 2}
    labels = {v["value"]: v["label"] for v in body["facets"]["organisation"]}
    assert labels[corpus["BR"]] == "Instituto Nacional de Saúde Coletiva"
    assert counts(body, "year") == {"2022": 2, "2023": 2, "2021": 1}


def test_values_of_a_facet_are_alternatives_and_facets_combine(
    client: TestClient, corpus: dict[str, str]
) -> None:
    either = run(client, tier=["open", "registered"], sort="oldest")
    assert ids_of(either) == [corpus["malaria"], corpus["dengue"], corpus["air"]]
    both = run(client, tier=["open", "registered"], country="BR")
    assert ids_of(both) == [corpus["dengue"]]
    assert counts(both, "tier") == {"registered": 1}
    by_subject = run(client, subject="Epidemiology", year="2022")
    assert ids_of(by_subject) == [corpus["dengue"]]
    assert ids_of(run(client, q="malaria", organisation=corpus["BR"])) == [corpus["registry"]]


def test_sorting_and_cursor_paging(client: TestClient, corpus: dict[str, str]) -> None:
    newest = run(client, sort="newest")
    assert ids_of(newest)[0] == corpus["air"]
    by_title = run(client, sort="title")
    assert [h["title"] for h in by_title["items"]] == sorted(h["title"] for h in by_title["items"])
    seen: list[str] = []
    response = client.get("/api/v1/datasets", params={"limit": 2, "sort": "oldest"})
    while True:
        body = response.json()
        seen += ids_of(body)
        if not body["next_cursor"]:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
        assert len(body["items"]) == 2
        next_url = response.headers["link"].split(">", 1)[0].lstrip("<")
        response = client.get(next_url)
    assert seen == ids_of(run(client, sort="oldest"))


def test_hits_carry_what_a_result_list_shows(client: TestClient, corpus: dict[str, str]) -> None:
    hit = run(client, q="dengue")["items"][0]
    assert hit["title"] == "Dengue cases by municipality"
    assert hit["tier"] == "registered"
    assert hit["licence"] == "CC0-1.0"
    assert hit["organisation"]["name"] == "Instituto Nacional de Saúde Coletiva"
    assert hit["creators"] == ["Kamau, Wanjiru"]
    assert hit["subjects"] == ["Dengue", "Epidemiology"]
    assert hit["pid"] == f"test-node/{corpus['dengue']}@v1"
    assert hit["url"] == f"/datasets/{corpus['dengue']}"


def test_bad_search_input_is_refused(client: TestClient, corpus: dict[str, str]) -> None:
    assert_problem(
        client.get("/api/v1/datasets", params={"cursor": "zzz"}), 422, "catalog.bad-cursor"
    )
    assert_problem(
        client.get("/api/v1/datasets", params={"year": "twenty"}), 422, "catalog.bad-facet-value"
    )
    assert_problem(client.get("/api/v1/datasets", params={"sort": "random"}), 422, "validation")
    assert_problem(client.get("/api/v1/datasets", params={"limit": 1000}), 422, "validation")


def test_punctuation_in_queries_is_harmless(client: TestClient, corpus: dict[str, str]) -> None:
    for text in ['"', "malaria OR", "NEAR(", "a:b*", "-", "'; DROP TABLE datasets; --", "&|!"]:
        assert run(client, q=text)["total"] >= 0
    assert ids_of(run(client, q="malaria)")) == ids_of(run(client, q="malaria"))


def test_unfiltered_counts_stay_in_step_with_publish_and_withdraw(
    client: TestClient, corpus: dict[str, str], node: NodeContext, operator: Principal
) -> None:
    """The landing page's counts are kept, not recounted: they must equal a full recount."""
    with node.session() as session:
        service.withdraw(session, operator, corpus["dengue"], 1, "Duplicate of another record.")
        service.start_version(session, operator, corpus["air"])
        service.update_draft(
            session,
            operator,
            corpus["air"],
            2,
            parse_metadata(
                metadata_document(
                    corpus["BR"], tier="restricted", subjects=subjects("Environment", "Noise")
                )
            ),
        )
        service.publish(session, operator, corpus["air"], 2)
        session.commit()
    body = run(client)
    assert body["total"] == 4
    assert counts(body, "tier") == {"open": 1, "controlled": 1, "restricted": 2}
    assert counts(body, "subject")["Noise"] == 1
    with_withdrawn = run(client, include_withdrawn="true")
    assert with_withdrawn["total"] == 5
    assert counts(with_withdrawn, "tier")["registered"] == 1
    with node.session() as session:
        kept = sorted(
            session.execute(
                select(
                    FacetTally.state, FacetTally.facet, FacetTally.value, FacetTally.count
                ).where(FacetTally.count > 0)
            ).all()
        )
        rebuild_facet_counts(session)
        recounted = sorted(
            session.execute(
                select(FacetTally.state, FacetTally.facet, FacetTally.value, FacetTally.count)
            ).all()
        )
        session.rollback()
    assert kept == recounted


QUERIES = [
    {"q": "malaria"},
    {"q": "malaria", "tier": "open"},
    {"q": "epidemiology", "year": ["2021", "2022"]},
    {"tier": ["open", "restricted"]},
    {"subject": "Epidemiology", "q": "cases"},
    {"country": "BR", "sort": "title"},
]


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: "-".join(sorted(p)))
def test_counts_under_words_and_filters_equal_a_recount_of_the_hits(
    client: TestClient, corpus: dict[str, str], params: dict[str, Any]
) -> None:
    """Counts come from each match's facet keys: they must equal counting the hits listed."""
    body = run(client, limit=100, **params)
    hits = body["items"]
    assert body["total"] == len(hits) and body["next_cursor"] is None
    expected: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for hit in hits:
        values = {
            "tier": [hit["tier"]],
            "licence": [hit["licence"]],
            "organisation": [hit["organisation"]["id"]],
            "year": [str(hit["year"])],
            "country": [hit["country"]] if hit["country"] else [],
            "subject": hit["subjects"],
        }
        for facet, found in values.items():
            for value in found:
                expected[facet][value] = expected[facet].get(value, 0) + 1
    assert {f: counts(body, f) for f in FACETS} == expected


def test_facet_values_with_line_breaks_and_backslashes_count_and_filter_exactly(
    client: TestClient, node: NodeContext, operator: Principal, make_org: Callable[..., str]
) -> None:
    org = make_org("Back\\slash\tInstitute", "KE")
    odd = ["Water\\Sanitation", "Line one\nline two", "Tab\there"]
    dataset = publish(node, operator, org, titles=title("Odd subjects"), subjects=subjects(*odd))
    body = run(client, q="odd")
    assert counts(body, "subject") == dict.fromkeys(odd, 1)
    assert body["facets"]["organisation"][0]["label"] == "Back\\slash\tInstitute"
    for value in odd:
        assert ids_of(run(client, q="odd", subject=value)) == [dataset]


def test_filtered_ranked_pages_add_up_to_the_whole_result(
    client: TestClient, corpus: dict[str, str]
) -> None:
    for params in ({"q": "malaria"}, {"q": "malaria", "country": ["KE", "BR"]}):
        everything = ids_of(run(client, limit=100, **params))
        paged: list[str] = []
        cursor = None
        while True:
            body = run(client, limit=1, **params, **({"cursor": cursor} if cursor else {}))
            paged += ids_of(body)
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert paged == everything and len(set(paged)) == len(paged) == 2


@given(st.text(max_size=40))
def test_facet_keys_escape_every_separator(value: str) -> None:
    escaped = escape_key(value)
    assert "\n" not in escaped and "\t" not in escaped
    assert unescape_key(escaped) == value

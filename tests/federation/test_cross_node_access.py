"""Cross-node access between three real nodes (Kenya, Brazil, Germany; separate processes and
databases): a Kenyan researcher requests, from Kenya, data held in Brazil with the passport
Kenya vouches with; Brazil's committee decides, the grant lives in Brazil, and the bytes come
from Brazil, or the grant is sandbox-only where export to Kenya is forbidden. Germany is Kenya's
peer but not Brazil's. The tests share one federation and run in order."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from accord.federation import calls
from accord.federation.passports import passport_for
from accord.federation.remote_requests import REQUESTS_PATH
from tests.federation.nodes import Node, serve
from tests.live import make_live_node

pytestmark = pytest.mark.slow
get = functools.partial(httpx.get, timeout=60)
post = functools.partial(httpx.post, timeout=60)
delete = functools.partial(httpx.delete, timeout=60)
ACCREDITED = "accredited-researcher"
DATA = b"district,cases\nKisumu,12\nSiaya,9\n"
REVIEWED = {
    "format": 1,
    "title": "Controlled, reviewed by the committee",
    "summary": "Accredited researchers, every request reviewed.",
    "tier": "controlled",
    "licence": "CC-BY-4.0",
    "duo": {"permission": "HMB"},
    "accreditations": [ACCREDITED],
    "committee": {"name": "Brazil DAC", "decision_deadline": "P14D", "review": "every-request"},
}
NO_EXPORT_TO_KENYA = {
    **REVIEWED,
    "title": "Controlled, not exported to Kenya",
    "export": {"forbidden": ["KE"]},
    "committee": {"name": "Brazil DAC", "decision_deadline": "P14D", "review": "exceptions"},
}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    root = tmp_path_factory.mktemp("cross-node")
    started: dict[str, Node] = {}
    try:
        for node_id, country in (("kenya", "KE"), ("brazil", "BR"), ("germany", "DE")):
            started[node_id] = serve(make_live_node(root / node_id), node_id, country, wait=False)
        for node in started.values():
            node.ready()
        kenya, brazil, germany = started["kenya"], started["brazil"], started["germany"]
        for a, b in ((kenya, brazil), (brazil, kenya), (kenya, germany), (germany, kenya)):
            a.add_peer(b)
        for kind in ("country", "affiliation", f"accreditation:{ACCREDITED}"):
            added = brazil.post("/api/v1/peers/kenya/recognitions", {"kind": kind})
            assert added.status_code == 201, added.text
        yield started
    finally:
        for node in started.values():
            node.live.stop()


@pytest.fixture(scope="module")
def researcher(nodes: dict[str, Node]) -> dict[str, str]:
    return nodes["kenya"].add_researcher("KE", ror="05gq02987", accreditations=(ACCREDITED,))


def ask(kenya: Node, headers: dict[str, str], dataset: str, **changes: Any) -> httpx.Response:
    body = {
        "node": "brazil",
        "dataset_id": dataset,
        "purpose": ["HMB"],
        "project_title": "Malaria outcomes in adults",
        "lay_summary": "We study which adults recover fastest from malaria and why.",
        "institution": "Kenya Medical Research Institute",
        "mode": "download",
        "duration": "P6M",
        "accept_duties": True,
        **changes,
    }
    return post(f"{kenya.url}/api/v1/remote-requests", json=body, headers=headers)


def events(node: Node, prefix: str) -> set[str]:
    items = node.get("/api/v1/log/entries", limit=1000, order="desc").json()["items"]
    types = {str(e["entry"]["type"]) for e in items}
    return {t for t in types if t.startswith(prefix)}


def test_request_approved_on_b_and_downloaded_by_a_researcher(
    nodes: dict[str, Node], researcher: dict[str, str]
) -> None:
    kenya, brazil = nodes["kenya"], nodes["brazil"]
    dataset = brazil.publish(
        "Malaria cases by district", {"data/cases.csv": DATA}, tier="controlled", agreement=REVIEWED
    )
    sent = ask(kenya, researcher, dataset)
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert request["state"] == "referred" and request["refused_visas"] == []

    early = get(
        f"{kenya.url}/api/v1/remote-requests/{request['id']}/files/none", headers=researcher
    )
    assert (early.status_code, early.json()["code"]) == (409, "federation.no-download-grant")

    decided = brazil.post(
        f"/api/v1/requests/{request['remote_id']}/decision",
        {"outcome": "approve", "reasons": "Accredited researcher, purpose fits HMB."},
    )
    assert decided.status_code == 200, decided.text

    seen = get(f"{kenya.url}/api/v1/remote-requests/{request['id']}", headers=researcher)
    assert seen.status_code == 200, seen.text
    status = seen.json()
    assert (status["state"], status["mode"], status["grant_state"]) == (
        "approved",
        "download",
        "active",
    )
    file = status["files"][0]
    assert file["sha256"] == hashlib.sha256(DATA).hexdigest()
    bytes_ = get(f"{kenya.url}{file['download_url']}", headers=researcher)
    assert bytes_.status_code == 200 and bytes_.content == DATA

    assert events(kenya, "federation.") >= {
        "federation.remote-request.submitted",
        "federation.remote-request.updated",
        "federation.download.relayed",
    }
    assert events(brazil, "") >= {
        "federation.access-request.received",
        "access.request.submitted",
        "access.request.referred",
        "access.request.approved",
        "access.grant.created",
        "federation.download.served",
    }


def test_sandbox_only_when_export_to_the_researcher_is_forbidden(
    nodes: dict[str, Node], researcher: dict[str, str]
) -> None:
    kenya, brazil = nodes["kenya"], nodes["brazil"]
    dataset = brazil.publish(
        "Malaria cases, kept from Kenya",
        {"data/cases.csv": DATA},
        tier="controlled",
        agreement=NO_EXPORT_TO_KENYA,
    )
    sent = ask(kenya, researcher, dataset)
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert (request["state"], request["mode"], request["grant_state"]) == (
        "approved",
        "sandbox",
        "active",
    )
    assert request["files"] == []
    refused = get(
        f"{kenya.url}/api/v1/remote-requests/{request['id']}/files/anything", headers=researcher
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "federation.no-download-grant")
    grant = brazil.get(f"/api/v1/grants/{request['grant_id']}").json()
    assert grant["mode"] == "sandbox"


def test_passports_from_non_peers_or_of_unrecognised_kinds_are_refused(
    nodes: dict[str, Node], researcher: dict[str, str]
) -> None:
    kenya, brazil, germany = nodes["kenya"], nodes["brazil"], nodes["germany"]
    dataset = brazil.publish(
        "Reviewed malaria data", {"data/cases.csv": DATA}, tier="controlled", agreement=REVIEWED
    )
    german = germany.add_researcher("DE", accreditations=(ACCREDITED,))
    not_peer = post(
        f"{germany.url}/api/v1/remote-requests",
        json={**_body(dataset), "node": "brazil"},
        headers=german,
    )
    assert (not_peer.status_code, not_peer.json()["code"]) == (404, "federation.peer-not-found")

    # Germany signs directly to Brazil: not a peer there.
    germany_node = germany.context()
    kenya_node = kenya.context()
    try:
        url = f"{brazil.url}{REQUESTS_PATH}"
        body = {"passport": "x.y.z", "request": _body(dataset)}
        direct = calls.call(germany_node, "POST", url, body=body)
        assert (direct.status_code, direct.json()["code"]) == (401, "federation.unknown-peer")

        # Kenya (an active peer) forwards a passport Germany issued: refused.
        with germany_node.session() as session:
            user_id = _user_of(germany, german)
            foreign = passport_for(session, user_id)
        forwarded = calls.call(
            kenya_node, "POST", url, body={"passport": foreign, "request": _body(dataset)}
        )
        assert forwarded.status_code == 403
        assert forwarded.json()["code"] == "federation.passport-untrusted"
    finally:
        germany_node.engine.dispose()
        kenya_node.engine.dispose()

    # Brazil stops recognising Kenya's accreditation: the visa is refused, and Brazil's engine
    # finds the accreditation missing.
    withdrawn = delete(
        f"{brazil.url}/api/v1/peers/kenya/recognitions/accreditation:{ACCREDITED}",
        headers=brazil.headers,
    )
    assert withdrawn.status_code == 204
    unaccredited = ask(kenya, researcher, dataset).json()
    on_brazil = brazil.get(f"/api/v1/requests/{unaccredited['remote_id']}").json()
    assert "accreditation.missing" in {r["code"] for r in on_brazil["engine"]["reasons"]}
    assert {(v["type"], v["reason"]) for v in unaccredited["refused_visas"]} == {
        ("ResearcherStatus", "not-recognised")
    }

    # Without a recognised country, nothing the passport says is accepted.
    delete(f"{brazil.url}/api/v1/peers/kenya/recognitions/country", headers=brazil.headers)
    refused = ask(kenya, researcher, dataset)
    assert refused.status_code == 409
    assert refused.json()["peer_code"] == "federation.passport-not-recognised"


def _body(dataset: str) -> dict[str, Any]:
    return {
        "dataset_id": dataset,
        "purpose": ["HMB"],
        "project_title": "Malaria outcomes in adults",
        "lay_summary": "We study which adults recover fastest from malaria and why.",
        "institution": "Charité",
        "accept_duties": True,
    }


def _user_of(node: Node, headers: dict[str, str]) -> str:
    me = get(f"{node.url}/api/v1/me", headers=headers).json()
    return str(me["id"])


def test_one_scheduler_round_harvests_witnesses_and_reads_back(nodes: dict[str, Node]) -> None:
    kenya = nodes["kenya"]
    # As a program: a round writes a pending request's checked_at without a log entry, which
    # the every-change-is-logged guard of an in-process run refuses.
    first = kenya.live.cli("--json", "federation", "run", "--once", program=True)
    done = {d["task"].split(":")[0]: d for d in json.loads(first.stdout)}
    outcomes = {(t, d["outcome"]) for t, d in done.items()}
    assert outcomes == {("harvest", "ok"), ("witness", "ok"), ("requests", "ok")}, first.stdout
    found = kenya.get("/api/v1/federated-search", q="malaria", node="brazil").json()
    assert found["total"] >= 3
    again = kenya.live.cli("--json", "federation", "run", "--once", program=True)
    assert json.loads(again.stdout) == []

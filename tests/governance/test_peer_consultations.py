"""Consultations across the federation, between two real nodes (separate processes, databases
and ports): the node that opens a consultation tells its peer with a signed call; the peer
answers with a signed comment that appears among the responses; each records what the other
runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from accord.clock import rfc3339
from tests.federation.nodes import Node, serve
from tests.live import make_live_node

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    root = tmp_path_factory.mktemp("governance-federation")
    started: list[Node] = []
    try:
        for node_id, country in (("kenya", "KE"), ("brazil", "BR")):
            started.append(serve(make_live_node(root / node_id), node_id, country, wait=False))
        for node in started:
            node.ready()
        kenya, brazil = started
        kenya.add_peer(brazil)
        assert brazil.add_peer(kenya)["confirmed"] is True
        yield kenya, brazil
    finally:
        for node in started:
            node.live.stop()


def test_a_peer_node_is_told_and_its_comment_is_received(pair: tuple[Node, Node]) -> None:
    kenya, brazil = pair
    deadline = datetime.now(UTC) + timedelta(days=20)
    opened = kenya.post(
        "/api/v1/policies",
        {
            "kind": "sanction-guidelines",
            "title": "Suspensions after two late reports",
            "summary": "Researchers who miss two publication reports are suspended.",
            "content": "A researcher who misses two reports in a year is suspended for 90 days.",
            "deadline": rfc3339(deadline.replace(microsecond=0)),
        },
    )
    assert opened.status_code == 201, opened.text
    consultation = opened.json()
    assert consultation["peers_notified"] == ["brazil"]

    notices = brazil.get("/api/v1/peer-consultations").json()
    assert [(n["peer_node_id"], n["remote_id"]) for n in notices] == [("kenya", consultation["id"])]
    assert notices[0]["url"] == f"{kenya.url}/governance/consultations/{consultation['id']}"

    text = "Brazilian researchers often publish late for reasons outside their control."
    sent = brazil.post(f"/api/v1/peer-consultations/{notices[0]['id']}/responses", {"text": text})
    assert sent.status_code == 200, sent.text
    assert sent.json()["responded_at"] is not None

    responses = kenya.get(f"/api/v1/consultations/{consultation['id']}").json()["comments"]
    assert [(c["author_kind"], c["text"]) for c in responses] == [("peer", text)]
    assert responses[0]["author"]  # the peer's name

    empty = brazil.post(f"/api/v1/peer-consultations/{notices[0]['id']}/responses", {"text": " "})
    assert empty.status_code == 422


def test_node_to_node_endpoints_accept_only_signed_calls(pair: tuple[Node, Node]) -> None:
    kenya, _ = pair
    body = json.dumps({"consultation": "cns_x", "text": "forged"}).encode()
    unsigned = httpx.post(
        f"{kenya.url}/api/v1/federation/consultation-comments",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert unsigned.status_code == 401


def test_peers_record_what_their_partners_run(pair: tuple[Node, Node]) -> None:
    kenya, brazil = pair
    checked = kenya.post("/api/v1/peer-software", {"peer": "brazil"})
    assert checked.status_code == 200, checked.text
    descriptor = httpx.get(f"{brazil.url}/.well-known/accord-node").json()
    record = checked.json()
    assert (record["name"], record["version"]) == ("accord", descriptor["software"]["version"])
    served = httpx.get(descriptor["software"]["sbom_url"], timeout=60).content
    assert record["sbom_sha256"] == hashlib.sha256(served).hexdigest()
    listed = httpx.get(f"{kenya.url}/api/v1/peer-software").json()
    assert [r["peer_node_id"] for r in listed] == ["brazil"]

"""Three real nodes (Kenya, Brazil, Germany; separate processes, databases and ports) peer,
harvest, search, witness each other's logs, refuse tampered and replayed calls, and mirror open
data. The tests run in order on one federation: each builds on the state the previous left."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from accord.federation import signatures
from accord.keys import fingerprint
from accord.ledger.checkpoint import Checkpoint, sign_checkpoint
from accord.ledger.service import signer
from tests.federation.nodes import Node, serve
from tests.live import make_live_node

pytestmark = pytest.mark.slow
# Kenya signs one checkpoint (on its first entry) and no other during the tests, so that both
# its witnesses cosign the same one; the others sign one every three entries, so theirs grow.
STILL = {"ACCORD_LOG_CHECKPOINT_ENTRIES": "100000", "ACCORD_LOG_CHECKPOINT_SECONDS": "86400"}
GROWING = {"ACCORD_LOG_CHECKPOINT_ENTRIES": "3", "ACCORD_LOG_CHECKPOINT_SECONDS": "86400"}
RESIDENT = {
    "format": 1,
    "title": "Open, kept in Germany",
    "summary": "Open data whose copies stay in Germany.",
    "tier": "open",
    "licence": "CC-BY-4.0",
    "duo": {"permission": "NRES"},
    "residency": {"jurisdictions": ["DE"]},
}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    root = tmp_path_factory.mktemp("federation")
    started: dict[str, Node] = {}
    try:
        for node_id, country in (("kenya", "KE"), ("brazil", "BR"), ("germany", "DE")):
            env = STILL if node_id == "kenya" else GROWING
            live = make_live_node(root / node_id, extra_env=env)
            started[node_id] = serve(live, node_id, country, wait=False)
        for node in started.values():
            node.ready()
        yield started
    finally:
        for node in started.values():
            node.live.stop()


def test_peering_is_active_only_once_both_sides_added(nodes: dict[str, Node]) -> None:
    kenya, brazil, germany = nodes["kenya"], nodes["brazil"], nodes["germany"]
    wrong = kenya.post("/api/v1/peers", {"url": brazil.url, "fingerprint": germany.fingerprint()})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "federation.fingerprint-mismatch"

    first = kenya.add_peer(brazil)
    assert first["confirmed"] is False and first["peer"]["state"] == "pending"
    second = brazil.add_peer(kenya)
    assert second["confirmed"] is True and second["peer"]["state"] == "active"
    states = {p["node_id"]: p["state"] for p in kenya.get("/api/v1/peers").json()}
    assert states == {"brazil": "active"}
    for a, b in ((kenya, germany), (germany, kenya), (brazil, germany), (germany, brazil)):
        a.add_peer(b)
    again = kenya.post("/api/v1/peers", {"url": brazil.url, "fingerprint": brazil.fingerprint()})
    assert again.status_code == 409


def _signed_headers(
    node: Node, url: str, body: bytes, *, created: int | None = None
) -> dict[str, str]:
    context = node.context()
    key = context.signing_key
    context.engine.dispose()
    headers = signatures.sign(
        key,
        fingerprint(key.public_key()),
        method="POST",
        target_uri=url,
        body=body,
        created=created or int(time.time()),
        nonce=base64.urlsafe_b64encode(
            hashlib.sha256(body + str(time.time()).encode()).digest()[:18]
        ).decode(),
    )
    return {**headers, "Content-Type": "application/json"}


def test_tampered_stale_and_replayed_calls_are_refused(nodes: dict[str, Node]) -> None:
    kenya, brazil = nodes["kenya"], nodes["brazil"]
    url = f"{brazil.url}/api/v1/federation/handshakes"
    body = json.dumps({"node": "kenya"}).encode()
    headers = _signed_headers(kenya, url, body)
    assert httpx.post(url, content=body, headers=headers).status_code == 200

    replay = httpx.post(url, content=body, headers=headers)
    assert (replay.status_code, replay.json()["code"]) == (401, "federation.replayed")

    fresh = _signed_headers(kenya, url, body)
    tampered = httpx.post(url, content=b'{"node":"brazil"}', headers=fresh)
    assert (tampered.status_code, tampered.json()["code"]) == (401, "federation.digest-mismatch")

    moved = _signed_headers(kenya, url, body)
    other = httpx.post(
        f"{nodes['germany'].url}/api/v1/federation/handshakes", content=body, headers=moved
    )
    assert (other.status_code, other.json()["code"]) == (401, "federation.bad-signature")

    stale = _signed_headers(kenya, url, body, created=int(time.time()) - 3600)
    refused = httpx.post(url, content=body, headers=stale)
    assert (refused.status_code, refused.json()["code"]) == (401, "federation.stale")

    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401


def test_harvest_and_federated_search(nodes: dict[str, Node]) -> None:
    kenya, brazil = nodes["kenya"], nodes["brazil"]
    kenya.publish("Malaria vector survey, Kisumu", {"data/vectors.csv": b"site,count\nA,3\n"})
    first = brazil.post("/api/v1/harvests", {"peer": "kenya"})
    assert first.status_code == 200, first.text
    assert first.json()[0]["records"] == 1 and first.json()[0]["incremental"] is False

    kenya.publish("Malaria bed net trial, Siaya", {"data/nets.csv": b"arm,n\nA,10\n"})
    second = brazil.post("/api/v1/harvests", {"peer": "kenya"}).json()[0]
    assert second["incremental"] is True and second["records"] >= 1

    page = brazil.get("/api/v1/federated-search", q="malaria").json()
    assert page["total"] == 2
    assert {h["node"] for h in page["items"]} == {"kenya"}
    assert page["facets"]["node"] == [{"value": "kenya", "count": 2}]
    hit = page["items"][0]
    assert hit["remote"] is True and hit["url"].startswith(kenya.url)
    record = brazil.get(f"/api/v1/remote-records/{hit['record']}").json()
    assert record["node"] == "kenya" and record["home_url"] == hit["url"]
    assert "Malaria" in record["title"]

    only_local = brazil.get("/api/v1/federated-search", q="malaria", node="brazil").json()
    assert only_local["items"] == [] and only_local["total"] == 0


def test_witnesses_cosign_and_log_verify_counts_them(nodes: dict[str, Node]) -> None:
    kenya, brazil, germany = nodes["kenya"], nodes["brazil"], nodes["germany"]
    for witness in (brazil, germany):
        report = witness.post("/api/v1/witnessings", {"peer": "kenya"}).json()[0]
        assert report["outcome"] == "cosigned" and report["delivered"] is True
    note = httpx.get(f"{kenya.url}/api/v1/federation/checkpoint").text
    assert note.count("/witness ") == 2

    enough = kenya.live.cli("log", "verify", "--witnesses", "2", check=False)
    assert enough.returncode == 0, enough.stderr
    too_many = kenya.live.cli("log", "verify", "--witnesses", "3", check=False)
    assert too_many.returncode == 3
    assert "cosignatures" in too_many.stderr


def test_forged_checkpoint_is_detected_and_kept(nodes: dict[str, Node]) -> None:
    brazil, germany = nodes["brazil"], nodes["germany"]
    first = brazil.post("/api/v1/witnessings", {"peer": "germany"}).json()[0]
    assert first["outcome"] == "cosigned"
    germany.publish("Grows the log", {"data/more.txt": b"more\n"})
    seen = brazil.post("/api/v1/witnessings", {"peer": "germany"}).json()[0]
    assert seen["outcome"] == "cosigned"
    assert seen["previous_size"] == first["size"] < seen["size"]  # consistency proof checked
    _forge_checkpoint(germany, seen["size"])

    report = brazil.post("/api/v1/witnessings", {"peer": "germany"}).json()[0]
    assert report["outcome"] == "fork" and report["detail"] == "same-size-different-root"
    forks = brazil.get("/api/v1/forks").json()
    assert len(forks) == 1 and forks[0]["reason"] == "same-size-different-root"
    assert forks[0]["seen_note"] != forks[0]["new_note"]
    entries = brazil.get("/api/v1/log/entries", type="federation.fork.detected").json()["items"]
    assert len(entries) == 1


def _forge_checkpoint(node: Node, size: int) -> None:
    """Make the node serve a checkpoint of ``size`` with another root, signed with its own key."""
    context = node.context()
    forged = sign_checkpoint(
        Checkpoint(context.identity.log_origin, size, hashlib.sha256(b"forged").digest()),
        signer(context),
    )
    context.engine.dispose()
    with sqlite3.connect(Path(node.live.data_dir) / "accord.db") as db:
        db.execute("DELETE FROM ledger_checkpoints WHERE size > ?", (size,))
        db.execute("UPDATE ledger_checkpoints SET note = ? WHERE size = ?", (forged, size))


def test_residency_restricted_dataset_is_never_copied(nodes: dict[str, Node]) -> None:
    brazil, germany = nodes["brazil"], nodes["germany"]
    data = b"kept in Germany only\n"
    dataset = germany.publish("Resident open data", {"data/resident.txt": data}, agreement=RESIDENT)
    refused = brazil.post("/api/v1/mirrors", {"peer": "germany", "dataset": dataset})
    assert refused.status_code == 409
    assert refused.json()["peer_code"] == "federation.mirror-forbidden"
    blob = Path(brazil.live.data_dir) / "blobs"
    digest = hashlib.sha256(data).hexdigest()
    assert not any(digest in p.name for p in blob.rglob("*"))
    assert brazil.get("/api/v1/mirrors").json() == []


def test_mirrored_open_dataset_outlives_its_home_node(nodes: dict[str, Node]) -> None:
    brazil, germany = nodes["brazil"], nodes["germany"]
    data = b"year,cases\n2020,12\n2021,9\n"
    dataset = germany.publish("Open surveillance counts", {"data/counts.csv": data})
    created = brazil.post("/api/v1/mirrors", {"peer": "germany", "dataset": dataset})
    assert created.status_code == 201, created.text
    mirror = created.json()
    assert mirror["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()

    germany.live.stop()
    response = httpx.get(f"{brazil.url}/api/v1/mirrors/{mirror['id']}/files/data/counts.csv")
    assert response.status_code == 200 and response.content == data

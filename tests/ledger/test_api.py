"""The public read API: C2SP tiles and checkpoint, JSON proofs, pages; no sign-in needed."""

from __future__ import annotations

import base64
import gzip
import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from accord import ledger
from accord.clock import SettableClock
from accord.identity.permissions import Role
from accord.ledger import merkle
from accord.ledger.canonical import canonical_json
from accord.ledger.checkpoint import open_checkpoint
from accord.ledger.note import Verifier
from accord.ledger.tiles import ENTRIES, Tile, decode_bundle, decode_hashes
from accord.node import NodeContext
from tests.conftest import MakeAccount


def fill(node: NodeContext, count: int, dataset: str = "ds_X") -> None:
    with node.session() as s:
        for i in range(count):
            ledger.append(
                s,
                ledger.Event(
                    "test.thing.happened",
                    subjects={"actor": "usr_1"},
                    public={"n": i, "dataset": dataset},
                    record={"secret": f"private {i}"},
                ),
            )
        s.commit()


def b64d(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def verifier(client: TestClient) -> Verifier:
    descriptor = client.get("/.well-known/accord-node").json()
    return Verifier.from_key(descriptor["log"]["verifier_key"])


def test_descriptor_publishes_origin_and_verifier_key(
    client: TestClient, node: NodeContext
) -> None:
    log = client.get("/.well-known/accord-node").json()["log"]
    assert log["origin"] == "testserver/log"
    assert log["verifier_key"].startswith("testserver/log+")
    assert log["checkpoint_url"] == "http://testserver/log/checkpoint"


def test_checkpoint_is_a_signed_note(
    client: TestClient, node: NodeContext, clock: SettableClock, verifier: Verifier
) -> None:
    fill(node, 3)
    node.settings.log_checkpoint_seconds = 1
    clock.advance(timedelta(seconds=1))
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "max-age=5" in response.headers["cache-control"]
    checkpoint = open_checkpoint(response.text, verifier)
    assert checkpoint.size == 3


def test_empty_log_gets_a_checkpoint_of_size_zero(client: TestClient, verifier: Verifier) -> None:
    checkpoint = open_checkpoint(client.get("/log/checkpoint").text, verifier)
    assert (checkpoint.size, checkpoint.root_hash) == (0, merkle.EMPTY_ROOT)


def test_tiles_and_entry_bundles(client: TestClient, node: NodeContext) -> None:
    fill(node, 260)
    full = client.get("/log/tile/0/000")
    assert full.status_code == 200
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    leaves = decode_hashes(full.content, Tile(0, 0))
    bundle = client.get("/log/tile/entries/001.p/4", headers={"accept-encoding": "identity"})
    entries = decode_bundle(bundle.content, Tile(ENTRIES, 1, 4))
    assert len(entries) == 4
    first = client.get("/log/tile/entries/000", headers={"accept-encoding": "identity"})
    assert [merkle.leaf_hash(e) for e in decode_bundle(first.content, Tile(ENTRIES, 0))] == leaves
    level1 = client.get("/log/tile/1/000.p/1")
    assert decode_hashes(level1.content, Tile(1, 0, 1)) == [
        merkle.root(256, merkle.MemoryHashes(leaves))
    ]


def test_bundles_are_gzipped_when_asked(client: TestClient, node: NodeContext) -> None:
    fill(node, 2)
    raw = client.get("/log/tile/entries/000.p/2", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    zipped = client.get("/log/tile/entries/000.p/2", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == raw.content  # the client decodes it
    assert gzip.decompress(gzip.compress(raw.content)) == raw.content


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/log/tile/0/001", 404),
        ("/log/tile/entries/000.p/9", 404),
        ("/log/tile/0/x000/001", 422),
        ("/log/tile/0/000.p/256", 422),
        ("/log/tile/64/000", 422),
    ],
)
def test_bad_or_missing_tiles(
    client: TestClient, node: NodeContext, path: str, status: int
) -> None:
    fill(node, 5)
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_entries_are_paged_and_filtered(client: TestClient, node: NodeContext) -> None:
    fill(node, 5, dataset="ds_A")
    fill(node, 2, dataset="ds_B")
    page = client.get("/api/v1/log/entries", params={"limit": 3}).json()
    assert [e["seq"] for e in page["items"]] == [0, 1, 2]
    assert page["next_cursor"] == "3"
    page = client.get("/api/v1/log/entries", params={"cursor": "3", "limit": 10}).json()
    assert [e["seq"] for e in page["items"]] == [3, 4, 5, 6]
    assert page["next_cursor"] is None
    newest = client.get("/api/v1/log/entries", params={"order": "desc", "limit": 2}).json()
    assert [e["seq"] for e in newest["items"]] == [6, 5]
    by_dataset = client.get("/api/v1/log/entries", params={"dataset": "ds_B"}).json()
    assert [e["seq"] for e in by_dataset["items"]] == [5, 6]
    one = client.get("/api/v1/log/entries/4").json()
    assert one["entry"]["public"] == {"n": 4, "dataset": "ds_A"}
    assert b64d(one["leaf_hash"]) == merkle.leaf_hash(canonical_json(one["entry"]))
    assert client.get("/api/v1/log/entries/99").status_code == 404


def test_inclusion_proof_by_index_and_by_leaf_hash(
    client: TestClient, node: NodeContext, verifier: Verifier
) -> None:
    node.settings.log_checkpoint_entries = 10
    fill(node, 25)
    proof = client.get("/api/v1/log/proofs/inclusion", params={"index": 7}).json()
    checkpoint = open_checkpoint(proof["checkpoint"], verifier)
    assert proof["tree_size"] == checkpoint.size == 21
    merkle.verify_inclusion(
        7,
        proof["tree_size"],
        b64d(proof["leaf_hash"]),
        [b64d(p) for p in proof["proof"]],
        checkpoint.root_hash,
    )
    by_hash = client.get(
        "/api/v1/log/proofs/inclusion", params={"leaf_hash": proof["leaf_hash"]}
    ).json()
    assert by_hash == proof
    newer = client.get("/api/v1/log/proofs/inclusion", params={"index": 22})
    assert newer.status_code == 409
    assert newer.json()["code"] == "ledger.not-yet-checkpointed"
    unsigned = client.get(
        "/api/v1/log/proofs/inclusion", params={"index": 22, "tree_size": 25}
    ).json()
    assert unsigned["checkpoint"] is None


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"index": 1, "leaf_hash": "AA=="},
        {"leaf_hash": "not base64"},
        {"index": 1, "tree_size": 99},
    ],
)
def test_bad_inclusion_requests(
    client: TestClient, node: NodeContext, params: dict[str, object]
) -> None:
    fill(node, 3)
    assert client.get("/api/v1/log/proofs/inclusion", params=params).status_code == 422


def test_consistency_proof(client: TestClient, node: NodeContext) -> None:
    fill(node, 13)
    body = client.get("/api/v1/log/proofs/consistency", params={"first": 5, "second": 13}).json()
    merkle.verify_consistency(
        5, 13, [b64d(p) for p in body["proof"]], b64d(body["first_root"]), b64d(body["second_root"])
    )
    bad = client.get("/api/v1/log/proofs/consistency", params={"first": 9, "second": 4})
    assert bad.status_code == 422


def test_checkpoints_are_listed(client: TestClient, node: NodeContext, verifier: Verifier) -> None:
    node.settings.log_checkpoint_entries = 2
    fill(node, 7)
    page = client.get("/api/v1/log/checkpoints", params={"limit": 2}).json()
    assert [c["size"] for c in page["items"]] == [1, 3]
    rest = client.get("/api/v1/log/checkpoints", params={"cursor": page["next_cursor"]}).json()
    assert [c["size"] for c in rest["items"]] == [5, 7]
    for c in page["items"] + rest["items"]:
        assert open_checkpoint(c["note"], verifier).size == c["size"]


def test_records_need_the_record_permission(
    client: TestClient, node: NodeContext, make_account: MakeAccount
) -> None:
    fill(node, 1)
    assert client.get("/api/v1/log/records/0").status_code == 401
    researcher = make_account(Role.RESEARCHER)
    assert client.get("/api/v1/log/records/0", headers=researcher.headers).status_code == 403
    auditor = make_account(Role.AUDITOR)
    record = client.get("/api/v1/log/records/0", headers=auditor.headers).json()["record"]
    entry = client.get("/api/v1/log/entries/0").json()["entry"]
    assert hashlib.sha256(canonical_json(record)).hexdigest() == entry["record_sha256"]
    assert record["record"] == {"secret": "private 0"}


def test_log_page_and_search(client: TestClient, node: NodeContext) -> None:
    fill(node, 3, dataset="ds_A")
    fill(node, 2, dataset="ds_B")
    page = client.get("/log")
    assert page.status_code == 200
    assert "Transparency log" in page.text
    assert "verify entry 4" in page.text
    found = client.get("/log", params={"dataset": "ds_B"}).text
    assert "verify entry 4" in found
    assert "verify entry 1" not in found


def test_verify_entry_page_shows_the_proof(client: TestClient, node: NodeContext) -> None:
    node.settings.log_checkpoint_entries = 4
    fill(node, 6)
    page = client.get("/log/entries/2")
    assert page.status_code == 200
    assert "The proof leads to root" in page.text
    proof = client.get("/api/v1/log/proofs/inclusion", params={"index": 2}).json()
    for h in proof["proof"]:
        assert h in page.text
    newer = client.get("/log/entries/5").text
    assert "newer than the newest checkpoint" in newer
    assert client.get("/log/entries/77").status_code == 404

"""Public node routes: descriptor, health, OpenAPI, docs, security headers."""

from __future__ import annotations

import base64
import shutil

from fastapi.testclient import TestClient

from accord.db import make_engine
from accord.keys import public_key_bytes
from accord.node import NodeContext


def test_descriptor_names_the_node_and_its_key(client: TestClient, node: NodeContext) -> None:
    body = client.get("/.well-known/accord-node").json()
    assert body["node_id"] == "test-node"
    assert body["jurisdiction"] == "CH"
    assert body["software"]["name"] == "accord"
    key = base64.b64decode(body["public_key"]["key"])
    assert key == public_key_bytes(node.signing_key.public_key())


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readiness_fails_cleanly_without_a_database(client: TestClient, node: NodeContext) -> None:
    original = node.engine
    node.engine = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2}
    )
    try:
        response = client.get("/readyz")
    finally:
        node.engine.dispose()
        node.engine = original
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/not-ready"


def test_readiness_fails_cleanly_when_the_blob_store_cannot_take_writes(
    client: TestClient, node: NodeContext
) -> None:
    blobs = node.settings.data_dir / "blobs"
    if blobs.exists():
        shutil.rmtree(blobs)
    blobs.write_text("not a folder")
    try:
        response = client.get("/readyz")
    finally:
        blobs.unlink()
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/not-ready"
    assert "blob store" in response.json()["detail"]
    assert client.get("/readyz").status_code == 200


def test_openapi_is_3_1_and_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/me" in spec["paths"]


def test_docs_are_served_from_the_node_itself(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/api/v1/me", "/static/accord.css", "/nowhere"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"

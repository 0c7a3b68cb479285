"""Every operation in the OpenAPI document has its own id (clients generate one method each);
routes that answer GET and HEAD declare the HEAD operation separately."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient


def test_operation_ids_are_unique(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = Counter(
        operation["operationId"]
        for methods in spec["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    )
    assert [name for name, count in ids.items() if count > 1] == []


def test_file_bytes_answer_head_under_their_own_operation(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    content = paths["/api/v1/datasets/{dataset_id}/versions/{number}/files/{file_id}/content"]
    mirrored = paths["/api/v1/mirrors/{mirror_id}/files/{path}"]
    assert content["head"]["operationId"] == "head_file_content"
    assert mirrored["head"]["operationId"] == "head_mirror_file"
    assert content["get"]["operationId"] != "head_file_content"

"""RO-Crate 1.1: a version's crate (metadata, files, signed manifest) passes roc-validator, only
those who may download get it, and a crate imports back as a draft with the same files."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from accord.catalog.manifest import verify_manifest
from tests.catalog.conftest import assert_problem, tus_upload
from tests.conftest import Account
from tests.standards.conftest import RICH, SQLITE_ONLY, PublishFn
from tests.standards.crate_validation import crate_problems

FILES = {"data/households.csv": b"id,nets\n1,2\n2,0\n", "README.md": b"# Survey\n"}


@SQLITE_ONLY
def test_the_crate_holds_metadata_files_and_the_signed_manifest(
    client: TestClient, publish: PublishFn, tmp_path: Path, roc_cache: Path
) -> None:
    published = publish(FILES, **RICH)
    response = client.get(published.path("/exports/ro-crate.zip"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "ro-crate.zip" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {"ro-crate-metadata.json", "accord-manifest.json", *FILES}
    for path, data in FILES.items():
        assert archive.read(path) == data

    metadata = json.loads(archive.read("ro-crate-metadata.json"))
    assert metadata["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = {e["@id"]: e for e in metadata["@graph"]}
    root = graph["./"]
    assert root["name"] == "Household malaria survey, Kisumu 2021"
    assert root["identifier"] == "https://doi.org/10.5281/zenodo.1234567"
    assert {p["@id"] for p in root["hasPart"]} == {*FILES, "accord-manifest.json"}
    assert graph["data/households.csv"]["encodingFormat"] == "text/csv"
    assert graph["https://orcid.org/0000-0002-1825-0097"]["@type"] == "Person"

    signed = json.loads(archive.read("accord-manifest.json"))
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signed["public_key"]))
    canonical = rfc8785.dumps(signed["manifest"])
    verify_manifest(key, canonical, signed["signature"])
    digests = {f["path"]: f["sha256"] for f in signed["manifest"]["files"]}
    assert digests == {p: hashlib.sha256(d).hexdigest() for p, d in FILES.items()}

    crate = tmp_path / "crate.zip"
    crate.write_bytes(response.content)
    assert crate_problems(crate, roc_cache) == []


@SQLITE_ONLY
def test_only_those_who_may_download_get_the_files(
    client: TestClient, publish: PublishFn, steward: Account
) -> None:
    published = publish(tier="controlled")
    refused = client.get(published.path("/exports/ro-crate.zip"))
    assert_problem(refused, 403, "catalog.grant-required")
    assert client.get(published.path("/exports/ro-crate-metadata.json")).status_code == 200
    assert (
        client.get(published.path("/exports/ro-crate.zip"), headers=steward.headers).status_code
        == 200
    )


def test_a_crate_imports_as_a_draft_with_its_files(
    client: TestClient, publish: PublishFn, steward: Account, organisation: str
) -> None:
    published = publish(FILES, **RICH)
    crate = client.get(published.path("/exports/ro-crate.zip")).content
    upload_id = tus_upload(client, steward.headers, crate, "crate.zip")
    response = client.post(
        "/api/v1/dataset-imports/ro-crate",
        headers=steward.headers,
        json={"upload_id": upload_id, "organisation_id": organisation, "tier": "registered"},
    )
    assert response.status_code == 201, response.text
    draft = response.json()["version"]
    assert draft["state"] == "draft"
    assert draft["tier"] == "registered"
    assert draft["title"] == "Household malaria survey, Kisumu 2021"
    assert draft["doi"] == "10.5281/zenodo.1234567"
    meta = draft["metadata"]
    assert meta["creators"][0]["name_identifiers"][0]["name_identifier"] == "0000-0002-1825-0097"
    assert meta["rights_list"][0]["rights_identifier"] == "CC-BY-4.0"
    assert {f["path"]: f["sha256"] for f in draft["files"]} == {
        p: hashlib.sha256(d).hexdigest() for p, d in FILES.items()
    }


@SQLITE_ONLY
def test_a_crate_whose_files_do_not_match_its_manifest_is_refused(
    client: TestClient, publish: PublishFn, steward: Account, organisation: str
) -> None:
    published = publish(FILES)
    original = zipfile.ZipFile(
        io.BytesIO(client.get(published.path("/exports/ro-crate.zip")).content)
    )
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as out:
        for name in original.namelist():
            data = original.read(name)
            out.writestr(name, b"id,nets\n1,9\n" if name == "data/households.csv" else data)
    upload_id = tus_upload(client, steward.headers, tampered.getvalue(), "crate.zip")
    response = client.post(
        "/api/v1/dataset-imports/ro-crate",
        headers=steward.headers,
        json={"upload_id": upload_id, "organisation_id": organisation, "tier": "open"},
    )
    assert_problem(response, 422, "standards.crate-digest-mismatch")

    not_a_crate = io.BytesIO()
    with zipfile.ZipFile(not_a_crate, "w") as out:
        out.writestr("data.csv", b"a,b\n")
    upload_id = tus_upload(client, steward.headers, not_a_crate.getvalue(), "x.zip")
    response = client.post(
        "/api/v1/dataset-imports/ro-crate",
        headers=steward.headers,
        json={"upload_id": upload_id, "organisation_id": organisation, "tier": "open"},
    )
    assert_problem(response, 422, "standards.not-ro-crate")

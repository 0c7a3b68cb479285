"""Manifests: canonical bytes (RFC 8785), Ed25519 signatures, and what ``verify_catalog`` names
when a signature, a file record, the metadata or a blob no longer matches."""

from __future__ import annotations

import base64
import json

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from accord.catalog.manifest import (
    ManifestFile,
    build_manifest,
    manifest_files,
    sign_manifest,
    verify_manifest,
)
from accord.catalog.models import DatasetFile, DatasetVersion
from accord.catalog.verification import verify_catalog
from accord.errors import VerificationFailed
from accord.keys import public_key_b64
from accord.node import NodeContext
from accord.storage.blobs import blob_store_of
from tests.catalog.conftest import Catalog

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SHA = "a" * 64

files_strategy = st.lists(
    st.builds(
        ManifestFile,
        path=st.text(alphabet="abcdé/_.-0123456789", min_size=1, max_size=20),
        size=st.integers(min_value=0, max_value=2**53 - 1),  # I-JSON range (RFC 8785 §3.2.2.3)
        media_type=st.sampled_from(["text/csv", "application/vnd.apache.parquet"]),
        sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    ),
    max_size=8,
    unique_by=lambda f: f.path,
)


def manifest(files: list[ManifestFile]) -> dict[str, object]:
    return build_manifest(
        node_id="n",
        pid="n/ds_x@v1",
        dataset_id="ds_x",
        number=1,
        published_at="2026-01-15T12:00:00Z",
        metadata_sha256=SHA,
        files=files,
    )


@settings(deadline=None)  # no timing in tests: load must not fail them
@given(files_strategy, st.randoms())
def test_the_signed_bytes_do_not_depend_on_file_order(
    files: list[ManifestFile], rng: object
) -> None:
    shuffled = list(files)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = sign_manifest(KEY, manifest(files)), sign_manifest(KEY, manifest(shuffled))
    assert first.canonical == second.canonical
    assert first.canonical == rfc8785.dumps(json.loads(first.canonical))
    verify_manifest(KEY.public_key(), first.canonical, first.signature)
    assert manifest_files(first.document) == sorted(files, key=lambda f: f.path)


@settings(deadline=None)  # no timing in tests: load must not fail them
@given(files_strategy.filter(bool), st.integers(min_value=0))
def test_any_changed_byte_breaks_the_signature(files: list[ManifestFile], position: int) -> None:
    signed = sign_manifest(KEY, manifest(files))
    data = bytearray(signed.canonical)
    data[position % len(data)] ^= 0x01
    with pytest.raises(VerificationFailed):
        verify_manifest(KEY.public_key(), bytes(data), signed.signature)


def test_another_key_or_a_bad_signature_is_refused() -> None:
    signed = sign_manifest(KEY, manifest([ManifestFile("a.csv", 1, "text/csv", SHA)]))
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(VerificationFailed) as caught:
        verify_manifest(other, signed.canonical, signed.signature)
    assert caught.value.code == "catalog.manifest-signature"
    assert caught.value.exit_code == 3
    with pytest.raises(VerificationFailed):
        verify_manifest(KEY.public_key(), signed.canonical, "not base64!")


def test_non_canonical_bytes_are_refused_even_when_signed() -> None:
    loose = json.dumps(manifest([]), indent=2).encode()
    signature = base64.b64encode(KEY.sign(loose)).decode()
    with pytest.raises(VerificationFailed) as caught:
        verify_manifest(KEY.public_key(), loose, signature)
    assert caught.value.code == "catalog.manifest-not-canonical"


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_the_manifest_endpoint_serves_a_verifiable_document(
    catalog: Catalog, client: TestClient, node: NodeContext
) -> None:
    version = catalog.published({"b.csv": b"b\n", "a.csv": b"a\n"})
    body = client.get(f"/api/v1/datasets/{version['dataset_id']}/versions/1/manifest").json()
    assert body["public_key"] == public_key_b64(node.signing_key.public_key())
    assert [f["path"] for f in body["manifest"]["files"]] == ["a.csv", "b.csv"]
    assert body["manifest"]["pid"] == version["pid"]
    canonical = rfc8785.dumps(body["manifest"])
    verify_manifest(node.signing_key.public_key(), canonical, body["signature"])
    draft = catalog.create()["dataset"]["id"]
    missing = client.get(
        f"/api/v1/datasets/{draft}/versions/1/manifest", headers=catalog.steward.headers
    )
    assert missing.status_code == 404


@SQLITE_ONLY
def test_verify_catalog_names_each_kind_of_mismatch(catalog: Catalog, node: NodeContext) -> None:
    first = catalog.published({"one.csv": b"1\n"})
    second = catalog.published({"two.csv": b"2\n", "three.csv": b"3\n"})
    third = catalog.published({"four.csv": b"4\n"})
    store = blob_store_of(node)
    with node.session() as s:
        report = verify_catalog(s, store, node.signing_key.public_key())
    assert report.ok and report.versions_checked == 3 and report.blobs_checked == 4

    with node.engine.begin() as conn:  # someone edits the database behind the node's back
        conn.execute(
            update(DatasetFile)
            .where(DatasetFile.id == second["files"][1]["id"])
            .values(media_type="text/plain")
        )
        tampered = dict(first["metadata"], keywords=["changed"])
        conn.execute(
            update(DatasetVersion)
            .where(DatasetVersion.id == first["id"])
            .values({DatasetVersion.document: tampered})
        )
        conn.execute(
            update(DatasetVersion)
            .where(DatasetVersion.id == third["id"])
            .values(manifest_signature=base64.b64encode(b"x" * 64).decode())
        )
    with node.session() as s:
        report = verify_catalog(s, store, node.signing_key.public_key())
    found = sorted((p.dataset_id, p.path, p.code) for p in report.problems)
    assert found == sorted(
        [
            (first["dataset_id"], None, "catalog.metadata-changed"),
            (second["dataset_id"], "two.csv", "catalog.manifest-mismatch"),
            (third["dataset_id"], None, "catalog.manifest-signature"),
        ]
    )
    assert not report.ok

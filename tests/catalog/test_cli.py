"""The catalog CLI on a real data dir: create → upload → publish → search → download (resume,
sha256 check) → verify (a blob altered on disk is named, exit 3) → withdraw."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from fastapi.testclient import TestClient

from accord.cli import catalog as cli_catalog
from accord.cli.client import NodeClient
from accord.cli.main import main
from accord.cli.state import CliState
from accord.config import Settings
from tests.catalog.conftest import Catalog, metadata_document

CSV = b"household,nets,rdt\n" + b"".join(f"H{i:04d},{i % 3},{i % 2}\n".encode() for i in range(500))


class Cli:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """Run ``accord --data-dir <dir> <args>`` in-process: (exit code, stdout, stderr)."""
        self.capsys.readouterr()
        argv = sys.argv
        sys.argv = ["accord", "--data-dir", str(self.data_dir), *args]
        code = 0
        try:
            main()
        except SystemExit as done:
            code = int(done.code or 0)
        finally:
            sys.argv = argv
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> Any:
        code, out, err = self("--json", *args)
        assert code == 0, err
        return json_document(out)


def json_document(out: str) -> Any:
    """The JSON document printed by ``--json`` (request log lines, if any, are skipped)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[")))
    return json.loads("\n".join(lines[start:]))


@pytest.fixture(scope="module")
def node_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One node for the module (``accord init`` is the slow part); tests use their own datasets."""
    path = tmp_path_factory.mktemp("catalog-cli") / "node"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ACCORD_DATA_DIR", raising=False)
        patch.delenv("ACCORD_DATABASE_URL", raising=False)
        argv = sys.argv
        sys.argv = ["accord", "--data-dir", str(path), "init", "--node-id", "cli-node"]
        try:
            main()
        finally:
            sys.argv = argv
    return path


@pytest.fixture
def cli(node_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.delenv("ACCORD_DATA_DIR", raising=False)
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(node_dir, capsys)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    csv_path = tmp_path / "households.csv"
    csv_path.write_bytes(CSV + f"H-{tmp_path.name},0,0\n".encode())
    parquet_path = tmp_path / "households.parquet"
    table = pa.table({"household": [f"H{i:04d}" for i in range(50)], "nets": list(range(50))})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    parquet_path.write_bytes(buffer.getvalue())
    return [csv_path, parquet_path]


def metadata_file(tmp_path: Path, organisation: str, **changes: Any) -> Path:
    path = tmp_path / "metadata.yaml"
    path.write_text(yaml.safe_dump(metadata_document(organisation, **changes), allow_unicode=True))
    return path


def published(cli: Cli, tmp_path: Path, files: list[Path]) -> str:
    org = cli.json("org", "add", "--name", "Nairobi Centre", "--country", "KE")["id"]
    created = cli.json("dataset", "create", str(metadata_file(tmp_path, org)))
    dataset_id: str = created["dataset"]["id"]
    uploaded = cli.json("dataset", "upload", dataset_id, *map(str, files), "--prefix", "data")
    assert [f["path"] for f in uploaded] == ["data/households.csv", "data/households.parquet"]
    version = cli.json("dataset", "publish", dataset_id)
    assert version["pid"] == f"cli-node/{dataset_id}@v1"
    return dataset_id


def test_publish_search_show_download(cli: Cli, tmp_path: Path, files: list[Path]) -> None:
    dataset_id = published(cli, tmp_path, files)
    found = cli.json("search", "malaria", "--tier", "open", "--sort", "newest")
    assert found["items"][0]["dataset_id"] == dataset_id
    code, out, _ = cli("dataset", "show", dataset_id)
    assert code == 0
    assert "data/households.parquet" in out
    assert "cite as: Kamau, Wanjiru (2026)" in out

    target = tmp_path / "out"
    result = cli.json("download", f"{dataset_id}@v1", "--to", str(target))
    assert len(result["files"]) == 2
    assert (target / "data" / "households.csv").read_bytes() == files[0].read_bytes()
    parquet = pq.read_table(target / "data" / "households.parquet")
    assert parquet.num_rows == 50


def test_download_resumes_and_checks_the_digest(
    cli: Cli, tmp_path: Path, files: list[Path]
) -> None:
    dataset_id = published(cli, tmp_path, files)
    target = tmp_path / "out"
    partial = target / "data" / "households.csv.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(CSV[:1000])
    cli.json("download", dataset_id, "data/households.csv", "--to", str(target))
    assert (target / "data" / "households.csv").read_bytes() == files[0].read_bytes()
    assert not partial.exists()

    (target / "data" / "households.csv").unlink()
    partial.write_bytes(b"X" * 1000)
    code, _, err = cli("download", dataset_id, "data/households.csv", "--to", str(target))
    assert code == 3
    assert "error[catalog.download-corrupt]: data/households.csv" in err
    assert not partial.exists()


def test_verify_names_an_altered_blob_and_exits_3(
    cli: Cli, tmp_path: Path, files: list[Path]
) -> None:
    dataset_id = published(cli, tmp_path, files)
    code, out, err = cli("verify")
    assert code == 0, err
    assert "all good" in out

    original = files[0].read_bytes()
    digest = hashlib.sha256(original).hexdigest()
    blob = cli.data_dir / "blobs" / "sha256" / digest[:2] / digest[2:4] / digest
    blob.chmod(0o644)
    blob.write_bytes(original.replace(b"H0001", b"H9999"))
    try:
        code, out, err = cli("verify")
        assert code == 3
        mismatches = [line for line in err.splitlines() if line.startswith("MISMATCH")]
        assert mismatches == [
            f"MISMATCH {dataset_id}@v1 data/households.csv: the stored bytes of blob {digest} "
            "no longer match their digest [storage.blob-corrupt]"
        ]
        assert "error[catalog.verification-failed]" in err
        report = cli("--json", "verify")
        assert report[0] == 3
        problems = json_document(report[1])["problems"]
        assert [(p["dataset_id"], p["path"], p["code"]) for p in problems] == [
            (dataset_id, "data/households.csv", "storage.blob-corrupt")
        ]
    finally:
        blob.write_bytes(original)


def test_withdrawn_versions_cannot_be_downloaded(
    cli: Cli, tmp_path: Path, files: list[Path]
) -> None:
    dataset_id = published(cli, tmp_path, files)
    withdrawn = cli.json(
        "dataset", "withdraw", dataset_id, "--reason", "Duplicate of another record"
    )
    assert withdrawn["state"] == "withdrawn"
    code, _, err = cli("download", dataset_id, "--to", str(tmp_path / "out"))
    assert code == 1
    assert "\nerror[catalog.version-withdrawn]: " in err
    listed = cli.json("dataset", "list", "--all")
    assert (dataset_id, "withdrawn") in [(h["dataset_id"], h["state"]) for h in listed["items"]]
    assert dataset_id not in [h["dataset_id"] for h in cli.json("dataset", "list")["items"]]


def test_bad_metadata_files_get_one_line_naming_the_fields(cli: Cli, tmp_path: Path) -> None:
    org = cli.json("org", "add", "--name", "Nairobi Centre", "--country", "KE")["id"]
    document = metadata_document(org)
    del document["titles"]
    document["doi"] = "not-a-doi"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    code, _, err = cli("dataset", "create", str(path))
    assert code == 1
    assert err.startswith("error[validation]")
    assert "titles" in err and "doi" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("titles: [unclosed\n")
    code, _, err = cli("dataset", "create", str(broken))
    assert code == 1
    assert err.startswith("error[catalog.bad-file]")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_remote_upload_goes_through_tus_in_chunks(
    client: TestClient, catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a remote node (``--url``) files travel as tus uploads, several PATCHes each."""
    monkeypatch.setattr(cli_catalog, "CHUNK", 1000)
    client.headers.update(catalog.steward.headers)
    state = CliState(settings=Settings(data_dir=tmp_path), url="http://testserver")
    state.__dict__["client"] = NodeClient(client)
    data = CSV * 3
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    upload_id = cli_catalog._tus_upload(state, path)
    dataset_id = catalog.create()["dataset"]["id"]
    attached = client.post(
        f"/api/v1/datasets/{dataset_id}/versions/1/files",
        json={"path": "big.csv", "upload_id": upload_id},
    )
    assert attached.status_code == 201, attached.text
    assert attached.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_upload_sweep_prints_what_it_did(cli: Cli) -> None:
    code, out, _ = cli("upload", "sweep")
    assert code == 0
    assert "expired 0 · strays 0 · blobs deleted 0 · kept 0" in out
    assert cli.json("upload", "sweep") == {
        "expired": 0,
        "strays": 0,
        "blobs_deleted": 0,
        "blobs_kept": 0,
    }

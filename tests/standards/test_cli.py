"""The standards CLI on a real data dir: export (to a file or stdout), cite, import a DataCite
record and an RO-Crate as drafts, rebuild the harvest index; errors are one line and exit 1."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from accord.cli.main import main
from accord.standards.xsd import validate_datacite
from tests.catalog.test_cli import Cli, metadata_file


@pytest.fixture(scope="module")
def node_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("standards-cli") / "node"
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


def test_export_cite_import_and_rebuild(cli: Cli, tmp_path: Path) -> None:
    org = cli.json("org", "add", "--name", "Nairobi Centre", "--country", "KE")["id"]
    dataset_id = cli.json("dataset", "create", str(metadata_file(tmp_path, org)))["dataset"]["id"]
    data = tmp_path / "households.csv"
    data.write_bytes(b"household,nets\nH1,2\n")
    cli.json("dataset", "upload", dataset_id, str(data), "--prefix", "data")
    cli.json("dataset", "publish", dataset_id)

    record = tmp_path / "record.xml"
    code, _, err = cli(
        "metadata", "export", f"{dataset_id}@v1", "-f", "datacite.xml", "-o", str(record)
    )
    assert code == 0, err
    validate_datacite(record.read_bytes())
    code, out, _ = cli("metadata", "export", dataset_id, "--format", "dcat.ttl")
    assert code == 0 and "dcat:Dataset" in out
    code, out, _ = cli("cite", dataset_id, "--style", "chicago")
    assert code == 0 and "Kamau, Wanjiru. 2026." in out, out
    code, out, _ = cli("cite", dataset_id, "--style", "bibtex")
    assert code == 0 and "@misc{kamau2026householdv1," in out

    imported = cli.json("metadata", "import", str(record), "--org", org)
    assert imported["version"]["state"] == "draft"
    assert imported["version"]["title"] == "Household malaria survey, Kisumu 2021"

    crate = tmp_path / "crate.zip"
    code, _, err = cli("metadata", "export", dataset_id, "-f", "ro-crate.zip", "-o", str(crate))
    assert code == 0, err
    assert "data/households.csv" in zipfile.ZipFile(crate).namelist()
    from_crate = cli.json("metadata", "import", str(crate), "--org", org, "--tier", "registered")
    assert [f["path"] for f in from_crate["version"]["files"]] == ["data/households.csv"]

    assert cli.json("oai", "rebuild")["records"] == 1

    code, _, err = cli("cite", dataset_id, "--style", "harvard")
    assert code == 1 and err.startswith("error[standards.unknown-style]")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    code, _, err = cli("metadata", "import", str(notes), "--org", org)
    assert code == 1 and err.startswith("error[standards.unsupported-import]")
    code, _, err = cli("metadata", "export", "ds_00000000000000000000000000", "-f", "datacite.xml")
    assert code == 1 and err.startswith("error[catalog.dataset-not-found]")

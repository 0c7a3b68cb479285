"""``accord deid`` on a real data dir: scan → plan → run → report → list → destroy-key, and a
bad spec as one line with its code and exit 1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.catalog.test_cli import Cli, metadata_file
from tests.deid.conftest import as_csv, patients, spec


@pytest.fixture(scope="module")
def node_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from accord.cli.main import main

    path = tmp_path_factory.mktemp("deid-cli") / "node"
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


def test_scan_plan_run_report(cli: Cli, tmp_path: Path) -> None:
    org = cli.json("org", "add", "--name", "Kisumu Hospital", "--country", "KE")["id"]
    dataset_id = cli.json("dataset", "create", str(metadata_file(tmp_path, org)))["dataset"]["id"]
    table = tmp_path / "patients.csv"
    table.write_bytes(as_csv(patients()))
    cli.json("dataset", "upload", dataset_id, str(table), "--prefix", "data")
    cli.json("dataset", "publish", dataset_id)

    code, out, err = cli("deid", "scan", f"{dataset_id}@v1")
    assert code == 0, err
    assert "email" in out and "national-id" in out and "A starting spec" in out

    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(spec()))
    planned = cli.json("deid", "plan", dataset_id, "--spec", str(spec_file))
    assert planned["report"]["k_achieved"] >= 5

    code, out, err = cli("deid", "run", dataset_id, "--spec", str(spec_file), "--publish")
    assert code == 0, err
    assert "k achieved" in out and "published" in out
    listed = cli.json("deid", "list")
    derivation = listed["items"][0]
    assert derivation["derived"]["state"] == "published"

    code, out, err = cli("deid", "report", derivation["id"])
    assert code == 0 and derivation["id"] in out and "equivalence classes" in out

    reason = ["--reason", "published release is final"]
    destroyed = cli.json("deid", "destroy-key", derivation["id"], *reason)
    assert destroyed["key_state"] == "destroyed"

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec(keep=["visit", "ghost"])))
    code, out, err = cli("deid", "run", dataset_id, "--spec", str(bad))
    assert code == 1
    assert "error[deid.unknown-column]" in err and "ghost" in err

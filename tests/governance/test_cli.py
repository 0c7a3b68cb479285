"""``accord risk``, ``accord policy`` and ``accord sbom``: the node's operator on its data dir,
and people on ``--url`` with their token. Mistakes are one line and exit 1 with the code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from accord.clock import rfc3339
from accord.node import NodeContext, write_identity
from tests.access.test_cli import Cli
from tests.governance.conftest import Governed


@pytest.fixture
def cli(
    node: NodeContext,
    served: str,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    write_identity(node.settings.data_dir, node.identity)
    for name in ("ACCORD_DATA_DIR", "ACCORD_URL", "ACCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACCORD_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(node.settings.data_dir, served, capsys)


def test_risk_assess_and_show(cli: Cli, governed: Governed) -> None:
    ref = governed.dataset_id
    assessed = cli.json(
        "risk", "assess", ref, "--category", "health", "--category", "personal",
        "--reidentification", "medium", "--harm", "medium",
    )  # fmt: skip
    assert assessed["recommendation"]["tier"] == "controlled" and assessed["version"] == 1
    code, out, _ = cli.run("risk", "show", f"{ref}@v1")
    assert code == 0 and "recommended: controlled" in out and "special-categories" in out

    code, _, err = cli.run("risk", "assess", ref, "--reidentification", "huge", "--harm", "low")
    assert code == 1 and err.startswith("error[validation]") and len(err.splitlines()) <= 3
    code, _, err = cli.run(
        "risk", "assess", ref, "--reidentification", "low", "--harm", "low", "--tier", "open",
        "--mode", "download", "--category", "genomic",
    )  # fmt: skip
    assert code == 1 and "error[governance.justification-required]" in err
    code, _, err = cli.run(
        "risk",
        "assess",
        "ds_00000000000000000000000000@v1",
        "--reidentification",
        "low",
        "--harm",
        "low",
    )
    assert code == 1 and "error[catalog.dataset-not-found]" in err
    code, _, err = cli.run(
        "risk", "assess", ref, "--reidentification", "low", "--harm", "low",
        token=governed.researcher.token,
    )  # fmt: skip
    assert code == 1 and "error[forbidden]" in err


def test_policy_propose_comment_list_decide(cli: Cli, governed: Governed, tmp_path: Path) -> None:
    text = tmp_path / "terms.md"
    text.write_text("# Terms of reference\n\nThe committee meets monthly.\n")
    deadline = rfc3339((datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0))
    opened = cli.json(
        "policy", "propose", "committee-terms", "--file", str(text),
        "--title", "Monthly meetings", "--deadline", deadline,
    )  # fmt: skip
    cid = opened["id"]
    assert opened["open"] is True and opened["peers_notified"] == []
    code, out, err = cli.run(
        "policy", "comment", cid, "Monthly is fine.", token=governed.researcher.token
    )
    assert code == 0, err
    code, out, _ = cli.run("policy", "list")
    assert code == 0 and "committee-terms" in out and "Monthly meetings" in out
    code, _, err = cli.run("policy", "decide", cid, "adopt", "--reasons", "No objections at all.")
    assert code == 1 and "error[governance.consultation-open]" in err
    code, _, err = cli.run("policy", "propose", "committee-terms", "--file", str(text),
                           "--title", "x", "--deadline", "tomorrow")  # fmt: skip
    assert code == 1 and "error[governance.invalid-time]" in err
    code, _, err = cli.run("policy", "propose", "committee-terms", "--file", str(tmp_path / "none"),
                           "--title", "x", "--deadline", deadline)  # fmt: skip
    assert code == 1 and "error[governance.unreadable-file]" in err


def test_sbom(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli.run("sbom")
    assert code == 0, err
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out) is None
    target = tmp_path / "bom.json"
    code, _, err = cli.run("sbom", "--output", str(target))
    assert code == 0 and "components" in err
    assert json.loads(target.read_text())["bomFormat"] == "CycloneDX"

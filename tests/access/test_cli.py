"""The access CLI against a real node: a researcher on ``--url``/``--token``, the committee and
review body as the node's operator on its data dir. Mistakes are one line and exit 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.cli.main import main
from tests.catalog.conftest import metadata_document
from tests.live import LiveNode, make_live_node


class Cli:
    """``accord …`` in-process, as the operator (data dir) or as a person (``--url``/token)."""

    def __init__(self, node: LiveNode, capsys: pytest.CaptureFixture[str]) -> None:
        self.node = node
        self.capsys = capsys

    def run(self, *args: str, token: str | None = None) -> tuple[int, str, str]:
        where = ["--url", self.node.url, "--token", token] if token else []
        self.capsys.readouterr()
        argv = sys.argv
        sys.argv = ["accord", "--data-dir", str(self.node.data_dir), *where, *args]
        code = 0
        try:
            main()
        except SystemExit as done:
            code = int(done.code or 0)
        finally:
            sys.argv = argv
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str, token: str | None = None) -> Any:
        code, out, err = self.run("--json", *args, token=token)
        assert code == 0, err
        lines = out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[")))
        return json.loads("\n".join(lines[start:]))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    node = make_live_node(tmp_path_factory.mktemp("access-cli") / "node")
    node.init("--node-id", "cli-access", "--jurisdiction", "KE")
    node.start()
    yield node
    node.stop()


@pytest.fixture
def cli(live: LiveNode, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in ("ACCORD_DATA_DIR", "ACCORD_DATABASE_URL", "ACCORD_URL", "ACCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(live, capsys)


def person(cli: Cli, tmp_path: Path, role: str) -> tuple[str, str]:
    """A new user with ``role`` and an API token: (user id, token)."""
    email = f"{role}-{tmp_path.name[-8:]}@example.org"
    user = cli.json(
        "user", "add", "--name", role.title(), "--email", email, "--country", "KE", "--role", role
    )["user"]["id"]
    token: str = cli.json("token", "create", "--name", "cli", "--user", user)["token"]
    return user, token


def setup_node(cli: Cli, tmp_path: Path) -> tuple[str, str, str]:
    """An organisation's controlled dataset and a researcher's token: (dataset, user, token)."""
    org = cli.json("org", "add", "--name", "Nairobi Centre", "--country", "KE")["id"]
    user, token = person(cli, tmp_path, "researcher")
    document = tmp_path / "metadata.yaml"
    document.write_text(yaml.safe_dump(metadata_document(org, tier="controlled")))
    data = tmp_path / "cases.csv"
    data.write_bytes(b"id,outcome\n1,yes\n2,no\n")
    dataset = cli.json("dataset", "create", str(document))["dataset"]["id"]
    cli.json("dataset", "upload", dataset, str(data))
    cli.json("dataset", "publish", dataset)
    return dataset, user, token


def submit_args(dataset: str) -> list[str]:
    return [
        "request", "submit", dataset, "--purpose", "HMB", "--title", "Malaria outcomes",
        "--summary", "Which adults recover fastest from malaria, and why.",
        "--institution", "INS", "--collaborator", "Rui Costa|INS", "--duration", "P3M",
    ]  # fmt: skip


def test_request_review_download_revoke(cli: Cli, tmp_path: Path) -> None:
    dataset, _user, token = setup_node(cli, tmp_path)
    code, _, err = cli.run(*submit_args(dataset), token=token)
    assert code == 1
    assert "error[access.duties-not-accepted]" in err

    request = cli.json(*submit_args(dataset), "--accept-duties", token=token)
    assert request["state"] == "referred"
    code, out, _ = cli.run("review", "list")
    assert code == 0 and request["id"] in out

    cli.json("review", "ask", request["id"], "Will you publish individual-level results?")
    assert cli.json("request", "status", request["id"], token=token)["state"] == (
        "awaiting-clarification"
    )
    cli.json("request", "reply", request["id"], "No: aggregates only.", token=token)
    decided = cli.json(
        "review", "decide", request["id"], "--approve", "--reasons", "Consent covers the aim.",
        "--condition", "Aggregates only",
    )  # fmt: skip
    assert decided["state"] == "approved"
    grant_id = decided["grant_id"]

    out_dir = tmp_path / "out"
    code, _, err = cli.run("download", dataset, "--to", str(out_dir), token=token)
    assert code == 0, err
    assert (out_dir / "cases.csv").read_bytes().startswith(b"id,outcome")

    grants = cli.json("grant", "list", token=token)["items"]
    assert [(g["id"], g["state"]) for g in grants] == [(grant_id, "active")]
    cli.json("grant", "revoke", grant_id, "--reason", "Ethics approval lapsed.")
    code, _, err = cli.run("download", dataset, "--to", str(tmp_path / "again"), token=token)
    assert code == 1 and "access.grant-revoked" in err
    assert cli.json("grant", "sweep")["expired"] == 0


def test_deny_appeal_breach_sanction(cli: Cli, tmp_path: Path) -> None:
    dataset, user, token = setup_node(cli, tmp_path)
    request = cli.json(*submit_args(dataset), "--accept-duties", token=token)
    denied = cli.json("review", "decide", request["id"], "--deny", "--reasons", "Out of scope.")
    assert denied["state"] == "denied"
    appeal = cli.json(
        "appeal", "file", "--request", request["id"], "--grounds", "It is health research.",
        token=token,
    )  # fmt: skip
    code, _, err = cli.run(
        "appeal", "decide", appeal["id"], "--overturn", "--reasons", "Agreed, overturn."
    )
    assert code == 1 and "error[access.not-independent]" in err, "the operator decided it"
    _, reviewer = person(cli, tmp_path, "reviewer")
    decided = cli.json(
        "appeal", "decide", appeal["id"], "--overturn", "--reasons", "Agreed on review.",
        token=reviewer,
    )  # fmt: skip
    assert decided["state"] == "overturned" and decided["grant_id"]

    evidence = tmp_path / "post.txt"
    evidence.write_text("the data, posted publicly")
    breach = cli.json(
        "breach", "report", "--grant", decided["grant_id"], "--description",
        "Rows of the data were posted on a forum.", "--evidence", str(evidence),
    )  # fmt: skip
    sanction = cli.json(
        "sanction", "impose", "--kind", "suspension", "--user", user, "--duration", "P30D",
        "--reason", "Shared rows publicly.", "--breach", breach["id"],
    )  # fmt: skip
    assert sanction["in_force"] is True
    assert cli.json("grant", "list", token=token)["items"][0]["state"] == "paused"
    cli.json("sanction", "lift", sanction["id"], "--reason", "Training completed.")
    resolved = cli.json(
        "breach", "resolve", breach["id"], "--outcome", "substantiated", "--resolution",
        "Rows were shared; the holder was suspended and retrained.",
    )  # fmt: skip
    assert resolved["state"] == "resolved"
    assert cli.json("grant", "list", token=token)["items"][0]["state"] == "active"


def test_the_operator_is_not_a_requester(cli: Cli, tmp_path: Path) -> None:
    dataset, _, _ = setup_node(cli, tmp_path)
    code, _, err = cli.run(*submit_args(dataset), "--accept-duties")
    assert code == 1
    assert "error[access.requester-not-a-user]" in err
    assert "hint:" in err
    code, _, err = cli.run("review", "decide", "req_missing", "--reasons", "Some reasons here.")
    assert code == 1 and "error[cli.choose-one]" in err

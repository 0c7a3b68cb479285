"""The access CLI against a node served over HTTP: people on ``--url``/``--token`` (researcher,
committee member, reviewer, admin), and the node's operator on its data dir. Mistakes are one
line and exit 1, with the problem's code."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from accord.cli.main import main
from accord.node import NodeContext, write_identity
from tests.access.conftest import World
from tests.live import free_port


class Cli:
    """``accord …`` in-process: as the operator (data dir) or as a person (``--url``/token)."""

    def __init__(self, data_dir: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir, self.url, self.capsys = data_dir, url, capsys

    def run(self, *args: str, token: str | None = None) -> tuple[int, str, str]:
        where = ["--url", self.url, "--token", token] if token else []
        self.capsys.readouterr()
        argv = sys.argv
        sys.argv = ["accord", "--data-dir", str(self.data_dir), *where, *args]
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


@pytest.fixture
def served(app: FastAPI, node: NodeContext) -> Iterator[str]:
    """The test node's app on a loopback port (uvicorn in a thread)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def cli(
    world: World,
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


def submit_args(dataset: str) -> list[str]:
    return [
        "request", "submit", dataset, "--purpose", "HMB", "--title", "Malaria outcomes",
        "--summary", "Which adults recover fastest from malaria, and why.",
        "--institution", "INS", "--collaborator", "Rui Costa|INS", "--duration", "P3M",
    ]  # fmt: skip


def test_request_review_download_revoke(cli: Cli, world: World, tmp_path: Path) -> None:
    researcher, member = world.researcher.token, world.member.token
    code, _, err = cli.run(*submit_args(world.dataset_id), token=researcher)
    assert code == 1
    assert "error[access.duties-not-accepted]" in err

    request = cli.json(*submit_args(world.dataset_id), "--accept-duties", token=researcher)
    assert request["state"] == "referred"
    code, out, _ = cli.run("review", "list", token=member)
    assert code == 0 and request["id"] in out and "permit" in out

    cli.json("review", "ask", request["id"], "Individual-level results?", token=member)
    status = cli.json("request", "status", request["id"], token=researcher)
    assert status["state"] == "awaiting-clarification"
    cli.json("request", "reply", request["id"], "No: aggregates only.", token=researcher)
    code, out, _ = cli.run("request", "status", request["id"], token=researcher)
    assert "committee: Individual-level results?" in out
    decided = cli.json(
        "review", "decide", request["id"], "--approve", "--reasons", "Consent covers the aim.",
        "--condition", "Aggregates only", token=member,
    )  # fmt: skip
    assert decided["state"] == "approved"
    grant_id = decided["grant_id"]

    out_dir = tmp_path / "out"
    code, _, err = cli.run("download", world.dataset_id, "--to", str(out_dir), token=researcher)
    assert code == 0, err
    assert (out_dir / "data" / "cases.csv").read_bytes().startswith(b"id,age,outcome")

    grants = cli.json("grant", "list", token=researcher)["items"]
    assert [(g["id"], g["state"]) for g in grants] == [(grant_id, "active")]
    cli.json("grant", "revoke", grant_id, "--reason", "Ethics approval lapsed.", token=member)
    again = tmp_path / "again"
    code, _, err = cli.run("download", world.dataset_id, "--to", str(again), token=researcher)
    assert code == 1 and "access.grant-revoked" in err
    assert cli.json("grant", "sweep", token=world.admin.token)["expired"] == 0


def test_deny_appeal_breach_sanction(cli: Cli, world: World, tmp_path: Path) -> None:
    researcher, member, reviewer = (
        world.researcher.token,
        world.member.token,
        world.reviewer.token,
    )
    request = cli.json(*submit_args(world.dataset_id), "--accept-duties", token=researcher)
    denied = cli.json(
        "review", "decide", request["id"], "--deny", "--reasons", "Out of scope.", token=member
    )
    assert denied["state"] == "denied"
    appeal = cli.json(
        "appeal", "file", "--request", request["id"], "--grounds", "It is health research.",
        token=researcher,
    )  # fmt: skip
    decided = cli.json(
        "appeal", "decide", appeal["id"], "--overturn", "--reasons", "Agreed on review.",
        token=reviewer,
    )  # fmt: skip
    assert decided["state"] == "overturned" and decided["grant_id"]

    evidence = tmp_path / "post.txt"
    evidence.write_text("the data, posted publicly")
    breach = cli.json(
        "breach", "report", "--grant", decided["grant_id"], "--description",
        "Rows of the data were posted on a forum.", "--evidence", str(evidence), token=member,
    )  # fmt: skip
    sanction = cli.json(
        "sanction", "impose", "--kind", "suspension", "--user", world.researcher.id,
        "--duration", "P30D", "--reason", "Shared rows publicly.", "--breach", breach["id"],
        token=reviewer,
    )  # fmt: skip
    assert sanction["in_force"] is True
    assert cli.json("grant", "list", token=researcher)["items"][0]["state"] == "paused"
    cli.json("sanction", "lift", sanction["id"], "--reason", "Training completed.", token=reviewer)
    resolved = cli.json(
        "breach", "resolve", breach["id"], "--outcome", "substantiated", "--resolution",
        "Rows were shared; the holder was suspended and retrained.", token=reviewer,
    )  # fmt: skip
    assert resolved["state"] == "resolved"
    assert cli.json("grant", "list", token=researcher)["items"][0]["state"] == "active"


def test_the_operator_is_not_a_requester(cli: Cli, world: World) -> None:
    code, _, err = cli.run(*submit_args(world.dataset_id), "--accept-duties")
    assert code == 1
    assert "error[access.requester-not-a-user]" in err
    assert "hint:" in err
    code, _, err = cli.run("review", "decide", "req_missing", "--reasons", "Some reasons here.")
    assert code == 1 and "error[cli.choose-one]" in err
    code, _, err = cli.run("request", "status", "req_missing", token=world.researcher.token)
    assert code == 1 and "error[access.request-not-found]" in err

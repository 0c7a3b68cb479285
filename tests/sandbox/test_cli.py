"""``accord sandbox …`` as a researcher and an output checker would use it (``--url --token``).

The CLI talks HTTP to the node; here its client sends the same requests through the test app
in-process (``NodeClient`` over a ``TestClient``), so commands run against the real API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.cli.client import ApiError, NodeClient
from accord.cli.main import app
from accord.errors import AccordError
from accord.sandbox.policy import DisclosurePolicy
from tests.conftest import Account
from tests.sandbox.conftest import World


@pytest.fixture
def accord(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    def remote(cls: type[NodeClient], url: str, token: str | None) -> NodeClient:
        return cls(TestClient(world.client.app, headers={"Authorization": f"Bearer {token}"}))

    monkeypatch.setattr(NodeClient, "remote", classmethod(remote))
    runner = CliRunner()

    def run(who: Account, *args: str) -> Any:
        result = runner.invoke(
            app, ["--url", "http://testserver", "--token", who.token, *args], catch_exceptions=True
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return run


def test_submit_status_and_result(world: World, accord: Any, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    submitted = accord(
        world.researcher,
        "--json",
        "sandbox",
        "submit",
        world.version_id,
        "--sql",
        "SELECT region, count(*) AS n FROM people GROUP BY 1 ORDER BY 1",
    )
    assert submitted.exit_code == 0, submitted.output
    job_id = json.loads(submitted.output)["id"]
    world.worker.run_until_idle()
    status = accord(world.researcher, "sandbox", "status", job_id)
    assert f"{job_id}: released" in status.output
    shown = accord(world.researcher, "sandbox", "result", job_id, "--output", str(saved))
    assert shown.exit_code == 0, shown.output
    assert "suppressed" in shown.output
    assert "threshold: this row stands for 3 rows of data" in shown.output
    assert sorted(p.name for p in saved.iterdir()) == [
        "manifest.json",
        "manifest.sig",
        "result.csv",
    ]
    assert (saved / "result.csv").read_text().splitlines()[1] == "east,25"


def test_tables_and_a_dp_measurement_with_its_budget(world: World, accord: Any) -> None:
    tables = accord(world.researcher, "sandbox", "tables", world.version_id)
    assert "income" in tables.output and "DOUBLE" in tables.output
    world.policy = DisclosurePolicy(privacy_budget=2.0)
    submitted = accord(
        world.researcher,
        "--json",
        "sandbox",
        "submit",
        world.version_id,
        "--dp",
        "mean",
        "--table",
        "people",
        "--column",
        "age",
        "--lower",
        "18",
        "--upper",
        "90",
        "--epsilon",
        "0.5",
    )
    assert submitted.exit_code == 0, submitted.output
    world.worker.run_until_idle()
    budget = accord(world.researcher, "sandbox", "budget", world.version_id)
    assert "1.5 of 2 epsilon left (0.5 spent)" in budget.output
    result = accord(world.researcher, "sandbox", "result", json.loads(submitted.output)["id"])
    assert "Differentially private: epsilon 0.5" in result.output


def test_mistakes_are_one_clear_error(world: World, accord: Any) -> None:
    with pytest.raises(AccordError) as missing:
        accord(world.researcher, "sandbox", "submit", world.version_id)
    assert missing.value.code == "sandbox.invalid-job"
    with pytest.raises(ApiError) as refused:
        accord(
            world.researcher, "sandbox", "submit", world.version_id, "--sql", "SELECT * FROM people"
        )
    assert refused.value.code == "sandbox.row-level-refused"
    assert refused.value.exit_code == 1


def test_an_output_checker_reviews_from_the_cli(world: World, accord: Any) -> None:
    job_id = world.sql("SELECT sex, median(age) FROM people GROUP BY 1")["id"]
    queue = accord(world.checker, "--json", "sandbox", "queue")
    assert [j["id"] for j in json.loads(queue.output)["items"]] == [job_id]
    decided = accord(
        world.checker,
        "sandbox",
        "review",
        job_id,
        "--release",
        "--reason",
        "Medians of two groups of about sixty people.",
    )
    assert f"{job_id}: released" in decided.output

"""``accord agreement …``: files checked locally, everything else through the node's API."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from accord.agreements import api as agreements_api
from accord.agreements.errors import AgreementInvalid
from accord.agreements.odrl import agreement_to_odrl
from accord.agreements.templates import load_template, template_text
from accord.cli.agreement import agreements
from accord.cli.client import NodeClient
from accord.cli.state import CliState
from accord.config import load_settings
from accord.identity.principal import local_operator
from accord.node import NodeContext
from accord.web.security import act_as

DV = "dv_01JD3BBBBBBBBBBBBBBBBBBBBB"


@pytest.fixture
def offline(tmp_path: Path) -> CliState:
    return CliState(settings=load_settings(data_dir=tmp_path / "node"))


@pytest.fixture
def online(app: FastAPI, node: NodeContext) -> Iterator[CliState]:
    """A CLI state whose client talks to an in-process node with the agreements API mounted."""
    app.include_router(agreements_api.router)
    act_as(app, local_operator())
    with TestClient(app, base_url="http://local.accord") as http:
        state = CliState(settings=node.settings)
        state.__dict__["client"] = NodeClient(http)
        yield state


@dataclass
class Run:
    """What a command printed through the CLI state (not the request log), and how it ended."""

    output: str
    errors: str
    exit_code: int
    exception: BaseException | None


def run(state: CliState, *args: str, as_json: bool = False) -> Run:
    state.json = as_json
    state.console = Console(file=io.StringIO(), width=300)
    state.err = Console(file=io.StringIO(), width=300)
    result = CliRunner().invoke(agreements, list(args), obj=state)
    printed = state.console.file.getvalue()  # type: ignore[attr-defined]
    errors = state.err.file.getvalue()  # type: ignore[attr-defined]
    return Run(printed, errors, result.exit_code, result.exception)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_a_template(offline: CliState, tmp_path: Path) -> None:
    file = write(tmp_path, "a.yaml", template_text("controlled-health"))

    result = run(offline, "validate", str(file))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: Controlled health data")


def test_validate_names_every_problem(offline: CliState, tmp_path: Path) -> None:
    text = template_text("controlled-health").replace("    - NPU", "    - NPU\n    - DUO:9999999")
    text = text.replace("licence: LicenseRef-accord-data-use-agreement", "licence: nonsense")
    file = write(tmp_path, "bad.yaml", text)

    result = run(offline, "validate", str(file))

    assert isinstance(result.exception, AgreementInvalid)
    assert "duo.modifiers[2].code: 'DUO:9999999' is not a DUO data-use modifier term" in (
        result.errors
    )
    assert "licence: not an SPDX licence expression" in result.errors


def test_validate_reads_odrl_json_ld(offline: CliState, tmp_path: Path) -> None:
    policy = agreement_to_odrl(load_template("localised"), "urn:test:l")
    file = write(tmp_path, "policy.jsonld", json.dumps(policy))

    result = run(offline, "validate", str(file), as_json=True)

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["residency"] == {"jurisdictions": ["BR", "PT"]}


def test_explain_a_file_and_the_terms(offline: CliState, tmp_path: Path) -> None:
    file = write(tmp_path, "a.yaml", template_text("restricted-sandbox"))

    text = run(offline, "explain", str(file)).output
    terms = json.loads(run(offline, "explain", "--terms", as_json=True).output)

    assert "Restricted: the data never leaves this node" in text
    assert {
        "id": "DUO:0000046",
        "shorthand": "NCU",
        "label": "non-commercial use only",
        "kind": "modifier",
    } in terms


def test_templates_are_listed_and_printed(offline: CliState) -> None:
    assert run(offline, "template").output.split() == [
        "open-cc-by",
        "registered",
        "controlled-health",
        "restricted-sandbox",
        "localised",
    ]
    assert run(offline, "template", "registered").output.startswith("# Registered access")
    assert run(offline, "template", "nope").exception is not None


def test_odrl_export(offline: CliState, tmp_path: Path) -> None:
    file = write(tmp_path, "a.yaml", template_text("open-cc-by"))

    policy = json.loads(run(offline, "odrl", str(file), "--uid", "urn:x").output)

    assert (policy["@type"], policy["uid"]) == ("Set", "urn:x")


def test_publish_attach_check(online: CliState, tmp_path: Path, node: NodeContext) -> None:
    here = node.identity.jurisdiction
    text = template_text("localised").replace("[BR, PT]", f"[BR, {here}]")
    file = write(tmp_path, "local.yaml", text)

    published = json.loads(run(online, "publish", str(file), as_json=True).output)
    ref = published["ref"]
    attached = run(online, "attach", ref, "--dataset-version", DV)
    checked = run(
        online,
        "check",
        "--dataset",
        DV,
        "--purpose",
        "HMB",
        "--country",
        "KE",
        "--accreditation",
        "researcher:2030-01-01",
    )
    shown = json.loads(run(online, "show", ref, as_json=True).output)
    explained = run(online, "explain", ref).output

    assert published["state"] == "published"
    assert attached.exit_code == 0, attached.output
    assert f"{ref} now governs {DV}" in attached.output
    assert checked.output.splitlines()[0] == f"Yes (sandbox) under {ref}"
    assert "residency.sandbox-only" in checked.output
    assert shown["document"]["tier"] == "controlled"
    assert "Where" in explained


def test_check_reports_denials_and_bad_refs(online: CliState, tmp_path: Path) -> None:
    file = write(tmp_path, "health.yaml", template_text("controlled-health"))
    ref = json.loads(run(online, "publish", str(file), as_json=True).output)["ref"]
    run(online, "attach", ref, "--dataset-version", DV)
    question = ["--dataset", DV, "--purpose", "POA", "--country", "BR", "--commercial"]

    decision = json.loads(run(online, "check", *question, as_json=True).output)
    bad_ref = run(online, "attach", "agr_x", "--dataset-version", DV)

    assert decision["outcome"] == "deny"
    assert "duo.purpose-outside-consent" in {r["code"] for r in decision["reasons"]}
    assert "agr_…@v<n>" in str(getattr(bad_ref.exception, "hint", ""))

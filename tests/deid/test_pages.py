"""The steward's derivation pages over HTTP (bearer tokens: no CSRF form dance needed)."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.deid.conftest import spec


def form(
    source: dict[str, Any], step: str, document: dict[str, Any] | None = None
) -> dict[str, str]:
    return {
        "source": f"{source['dataset_id']}@v{source['number']}",
        "spec": yaml.safe_dump(document) if document else "",
        "step": step,
    }


def test_scan_fills_the_spec_and_lists_findings(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    page = client.post("/derivations/new", headers=steward.headers, data=form(source, "scan"))
    assert page.status_code == 200, page.text
    assert 'id="findings"' in page.text and "national-id" in page.text
    assert "pseudonymise:" in page.text  # the starting spec is in the textarea


def test_plan_shows_the_report_and_run_redirects_to_it(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    planned = client.post(
        "/derivations/new", headers=steward.headers, data=form(source, "plan", spec())
    )
    assert planned.status_code == 200, planned.text
    assert "nothing was stored" in planned.text and 'id="class-sizes"' in planned.text

    run = client.post(
        "/derivations/new",
        headers=steward.headers,
        data={**form(source, "run", spec()), "publish": "true"},
        follow_redirects=False,
    )
    assert run.status_code == 303, run.text
    location = run.headers["location"]
    public = client.get(location)  # published: anyone may read the report
    assert public.status_code == 200
    assert 'id="k-achieved"' in public.text and "Destroy the key" not in public.text
    own = client.get(location, headers=steward.headers)
    assert "Destroy the key" in own.text
    listing = client.get("/derivations", headers=steward.headers)
    assert location.rsplit("/", 1)[-1] in listing.text


def test_a_bad_spec_is_shown_on_the_form(
    client: TestClient, steward: Account, source: dict[str, Any]
) -> None:
    page = client.post(
        "/derivations/new",
        headers=steward.headers,
        data=form(source, "run", spec(keep=["visit", "ghost"])),
    )
    assert page.status_code == 422
    assert 'role="alert"' in page.text and "ghost" in page.text


def test_pages_need_a_steward(client: TestClient, source: dict[str, Any]) -> None:
    assert client.get("/derivations").status_code == 401

"""Governance pages over HTTP: public pages for everyone; the steward's assessment form, the
admin's proposal form and a user's comment, each working without JavaScript, with errors tied
to their fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.clock import SettableClock
from tests.catalog.test_pages import signed_in
from tests.conftest import Account
from tests.governance.conftest import Governed

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _as(app: FastAPI, account: Account) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="http://testserver")
    return browser, signed_in(browser, account)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/governance", "Governance in the open"),
        ("/governance/policies", "Policies and consultations"),
        ("/governance/register", "Governance register"),
        ("/governance/sbom", "pkg:pypi/fastapi@"),
        ("/security", "Reporting a vulnerability"),
    ],
)
def test_public_pages(client: TestClient, path: str, text: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and text in page.text
    assert '<main id="main"' in page.text


def test_steward_assesses_through_the_form(app: FastAPI, governed: Governed) -> None:
    browser, csrf = _as(app, governed.steward)
    path = f"/datasets/{governed.dataset_id}/versions/1/risk"
    form = browser.get(path)
    assert form.status_code == 200 and 'name="reidentification_risk"' in form.text

    incomplete = browser.post(path, data={"csrf_token": csrf, "categories": "health"})
    assert incomplete.status_code == 422
    assert 'aria-describedby="reidentification_risk-error"' in incomplete.text
    assert re.search(
        r'<input type="checkbox" name="categories" value="health"\s+checked', incomplete.text
    )

    done = browser.post(
        path,
        data={
            "csrf_token": csrf,
            "categories": ["health", "personal"],
            "reidentification_risk": "high",
            "harm_if_misused": "medium",
            "tier": "controlled",
            "mode": "sandbox",
            "justification": "Consent covers controlled access for health research.",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = browser.get(path).text
    assert "highly-identifiable" in page and "Consent covers controlled access" in page
    dataset = browser.get(f"/datasets/{governed.dataset_id}").text
    assert "The published rules recommend" in dataset


def test_proposal_comment_and_late_comment_through_forms(
    app: FastAPI, governed: Governed, clock: SettableClock
) -> None:
    admin, csrf = _as(app, governed.admin)
    deadline = (clock.now() + timedelta(days=10)).date().isoformat()
    bad = admin.post(
        "/governance/policies",
        data={"csrf_token": csrf, "kind": "risk-rules", "title": "New rules",
              "content": "{}", "deadline": deadline},
    )  # fmt: skip
    assert bad.status_code == 422 and "risk rules document is not valid" in bad.text
    made = admin.post(
        "/governance/policies",
        data={"csrf_token": csrf, "kind": "equity-thresholds", "title": "Fairer shares",
              "content": "At least 30% of grants go to researchers in low-income countries.",
              "deadline": deadline},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    consultation_path = made.headers["location"]

    researcher, rcsrf = _as(app, governed.researcher)
    said = researcher.post(
        f"{consultation_path}/comments",
        data={"csrf_token": rcsrf, "text": "Please count middle-income countries too."},
        follow_redirects=False,
    )
    assert said.status_code == 303
    clock.advance(timedelta(days=11))
    researcher, rcsrf = _as(app, governed.researcher)  # the earlier session has expired
    late = researcher.post(
        f"{consultation_path}/comments", data={"csrf_token": rcsrf, "text": "Late."}
    )
    assert late.status_code == 409 and "comments are no longer accepted" in late.text
    page = researcher.get(consultation_path).text
    assert "Please count middle-income countries too." in page
    assert 'action="' + consultation_path + '/comments"' not in page  # closed: no form


@pytest.mark.parametrize(
    ("path", "form", "field", "hint"),
    [
        ("/governance/policies", {"kind": "house-rules", "title": "T", "content": "x"}, "kind",
         "one of the listed policies"),
        ("/governance/register", {"body": "parliament", "person": "usr_x"}, "body",
         "committee or review-body"),
    ],
)  # fmt: skip
def test_a_choice_outside_the_list_is_an_error_on_its_field(
    app: FastAPI, governed: Governed, path: str, form: dict[str, str], field: str, hint: str
) -> None:
    admin, csrf = _as(app, governed.admin)
    answer = admin.post(path, data={"csrf_token": csrf, **form})
    assert answer.status_code == 422, answer.text
    assert re.search(rf'aria-describedby="[^"]*{field}', answer.text), answer.text[-2000:]
    assert hint in answer.text

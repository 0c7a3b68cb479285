"""The access pages over HTTP, each person in their own browser session: the request form and
its live answer, the committee's queue and decision page, the grant page, the review body."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord.identity.permissions import Role
from tests.access.conftest import World, agreement
from tests.conftest import Account

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HTML = {"accept": "text/html"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """One person's browser session (cookies, CSRF token) against the app."""

    def __init__(self, app: FastAPI, account: Account) -> None:
        self.client = TestClient(app, base_url="http://testserver")
        token = csrf_from(self.client.get("/sign-in").text)
        signed = self.client.post(
            "/sign-in",
            data={"email": account.email, "password": account.password, "csrf_token": token},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        self.csrf = csrf_from(self.client.get("/access", headers=HTML).text)

    def get(self, path: str) -> str:
        response = self.client.get(path, headers=HTML)
        assert response.status_code == 200, response.text
        return response.text

    def post(self, path: str, data: dict[str, str], **extra: object) -> tuple[int, str, str]:
        """(status, location, body) of a form post; the CSRF token is added."""
        response = self.client.post(
            path,
            data={**data, "csrf_token": self.csrf},
            follow_redirects=False,
            **extra,  # type: ignore[arg-type]
        )
        return response.status_code, response.headers.get("location", ""), response.text


@pytest.fixture
def browsers(app: FastAPI, world: World) -> Iterator[dict[str, Browser]]:
    people = {
        "researcher": Browser(app, world.researcher),
        "member": Browser(app, world.member),
        "reviewer": Browser(app, world.reviewer),
    }
    yield people
    for browser in people.values():
        browser.client.close()


REQUEST_FORM = {
    "purpose": "HMB",
    "project_title": "Malaria outcomes in adults",
    "lay_summary": "We study which adults recover fastest from malaria and why.",
    "institution": "INS",
    "collaborators": "Rui Costa | INS",
    "mode": "download",
    "duration": "P6M",
}


def test_request_form_preview_submit_review_approve_download(
    world: World, browsers: dict[str, Browser]
) -> None:
    world.govern(agreement(committee={"name": "Malaria DAC", "review": "every-request"}))
    researcher, member = browsers["researcher"], browsers["member"]
    form = researcher.get(f"/access/requests/new?dataset={world.dataset_id}")
    assert "Controlled malaria data" not in form or "Malaria DAC" in form
    assert 'hx-post="/access/requests/preview"' in form

    status, _, fragment = researcher.post(
        "/access/requests/preview",
        {"dataset_id": world.dataset_id, "purpose": "POA", "duration": "P6M"},
        headers={"HX-Request": "true"},
    )
    assert status == 200
    assert "No: the agreement does not allow this" in fragment
    _, _, fragment = researcher.post(
        "/access/requests/preview", {"dataset_id": world.dataset_id, "purpose": "HMB"}
    )
    assert "The data access committee would decide" in fragment

    status, _, page = researcher.post(
        "/access/requests", {"dataset_id": world.dataset_id, **REQUEST_FORM}
    )
    assert status == 422
    assert "accept duties" in page
    status, location, _ = researcher.post(
        "/access/requests", {"dataset_id": world.dataset_id, "accept_duties": "on", **REQUEST_FORM}
    )
    assert status == 303, location
    request_id = location.rsplit("/", 1)[-1]
    assert ">referred to the committee<" in researcher.get(location)

    queue = member.get("/access/reviews")
    assert request_id in queue and "permit" in queue
    decision_page = member.get(f"/access/reviews/{request_id}")
    assert "Record the decision" in decision_page
    status, location, _ = member.post(
        f"/access/requests/{request_id}/messages", {"body": "Aggregates only?", "back": "reviews"}
    )
    assert status == 303 and location == f"/access/reviews/{request_id}"
    assert "awaiting clarification" in researcher.get(f"/access/requests/{request_id}")
    researcher.post(f"/access/requests/{request_id}/messages", {"body": "Yes, aggregates only."})
    status, _, _ = member.post(
        f"/access/reviews/{request_id}/decision",
        {"outcome": "approve", "reasons": "Purpose fits the consent.", "conditions": "Aggregates"},
    )
    assert status == 303
    mine = researcher.get("/access")
    grant_id = re.search(r'href="/access/grants/(gr_\w+)"', mine)
    assert grant_id, mine
    grant_page = researcher.get(f"/access/grants/{grant_id.group(1)}")
    link = re.search(r'href="(/api/v1/datasets/[^"]+/content)"', grant_page)
    assert link and "Aggregates" in grant_page
    assert researcher.client.get(link.group(1)).content.startswith(b"id,age,outcome")
    inbox = researcher.get("/access/inbox")
    assert "Access granted" in inbox


def test_committee_member_with_a_conflict_sees_no_decision_form(
    world: World, browsers: dict[str, Browser]
) -> None:
    insider = world.make_account(Role.RESEARCHER, country="KE", organisation_id=world.data_org)
    request_id = world.submit(who=insider)["id"]
    member = browsers["member"]
    assert "conflict of interest" in member.get("/access/reviews")
    status, _, page = member.post(
        f"/access/reviews/{request_id}/decision",
        {"outcome": "approve", "reasons": "Looks fine to me, colleague."},
    )
    assert status == 403
    assert "requester&#39;s organisation" in page or "requester's organisation" in page


def test_review_body_breach_sanction_and_appeal(world: World, browsers: dict[str, Browser]) -> None:
    world.govern(agreement())
    grant_id = world.submit()["grant_id"]
    member, reviewer, researcher = browsers["member"], browsers["reviewer"], browsers["researcher"]
    status, location, _ = member.post(
        "/access/breaches", {"grant_id": grant_id, "description": "Posted on a public forum."}
    )
    assert status == 303
    breach_id = location.rsplit("/", 1)[-1]
    status, _, _ = member.post(
        f"/access/breaches/{breach_id}/evidence",
        {},
        files={"file": ("forum.txt", b"copied rows", "text/plain")},
    )
    assert status == 303
    assert breach_id in reviewer.get("/access/review-body")
    page = reviewer.get(f"/access/breaches/{breach_id}")
    assert "forum.txt" in page and world.researcher.id in page
    reviewer.post(f"/access/breaches/{breach_id}/notes", {"body": "Asked the holder."})
    status, location, _ = reviewer.post(
        f"/access/breaches/{breach_id}/sanctions",
        {
            "kind": "suspension",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "duration": "P30D",
            "reason": "Shared rows of the data on a forum.",
        },
    )
    assert status == 303, location
    sanction_page = researcher.get(location)
    assert 'id="in-force">yes' in sanction_page
    assert "paused" in researcher.get(f"/access/grants/{grant_id}")
    status, appeal_location, _ = researcher.post(
        f"{location}/appeal", {"grounds": "It was our own approved workspace forum."}
    )
    assert status == 303
    appeal_id = appeal_location.rsplit("/", 1)[-1]
    status, _, _ = reviewer.post(
        f"/access/appeals/{appeal_id}/decision",
        {"outcome": "overturn", "reasons": "I imposed it myself; must be refused."},
    )
    assert status == 403, "the reviewer who imposed the sanction cannot decide its appeal"
    other = Browser(world.client.app, world.make_account(Role.REVIEWER, country="DE"))  # type: ignore[arg-type]
    status, _, _ = other.post(
        f"/access/appeals/{appeal_id}/decision",
        {"outcome": "overturn", "reasons": "The forum is the project's private workspace."},
    )
    assert status == 303
    assert "active" in researcher.get(f"/access/grants/{grant_id}")
    status, _, _ = reviewer.post(
        f"/access/breaches/{breach_id}/resolution",
        {"outcome": "unfounded", "resolution": "The forum was private to the project."},
    )
    assert status == 303
    assert "unfounded" in member.get(f"/access/breaches/{breach_id}")

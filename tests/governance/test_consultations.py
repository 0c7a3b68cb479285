"""A consultation's life on the injected clock: open → comments → deadline → decision →
effective date; late comments, early decisions and the wrong roles are refused clearly."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from accord.clock import SettableClock, rfc3339
from accord.errors import Conflict
from accord.governance import policies
from accord.governance.rules import default_rules
from accord.node import NodeContext
from tests.governance.conftest import Governed, event_types

TERMS = "# Committee terms of reference\n\nThe committee decides within 14 days."


def _propose(client: TestClient, governed: Governed, clock: SettableClock, **changes: object):
    body = {
        "kind": "committee-terms",
        "title": "Decisions within 14 days",
        "summary": "Shorter decision deadline for committees.",
        "content": TERMS,
        "deadline": rfc3339(clock.now() + timedelta(days=30)),
        **changes,
    }
    return client.post("/api/v1/policies", json=body, headers=governed.admin.headers)


def test_consultation_life_on_the_injected_clock(
    client: TestClient, governed: Governed, clock: SettableClock, node: NodeContext
) -> None:
    opened = _propose(client, governed, clock)
    assert opened.status_code == 201, opened.text
    consultation = opened.json()
    cid = consultation["id"]
    assert consultation["open"] is True and consultation["policy"]["status"] == "consultation"
    assert consultation["peers_notified"] == []  # this node has no peers

    clock.advance(timedelta(days=3))
    said = client.post(
        f"/api/v1/consultations/{cid}/comments",
        json={"text": "Fourteen days is too short for rare-disease datasets."},
        headers=governed.researcher.headers,
    )
    assert said.status_code == 201, said.text

    early = client.post(
        f"/api/v1/consultations/{cid}/decision",
        json={"outcome": "adopt", "reasons": "Responses were considered carefully."},
        headers=governed.admin.headers,
    )
    assert (early.status_code, early.json()["code"]) == (409, "governance.consultation-open")

    clock.advance(timedelta(days=27, seconds=1))  # past the deadline
    late = client.post(
        f"/api/v1/consultations/{cid}/comments",
        json={"text": "One more thought."},
        headers=governed.researcher.headers,
    )
    assert late.status_code == 409
    problem = late.json()
    assert problem["code"] == "governance.consultation-closed"
    assert "closed on" in problem["detail"] and problem["hint"]
    waiting = client.get(f"/api/v1/consultations/{cid}").json()
    assert waiting["open"] is False and waiting["policy"]["status"] == "awaiting-decision"

    effective = clock.now() + timedelta(days=10)
    decided = client.post(
        f"/api/v1/consultations/{cid}/decision",
        json={
            "outcome": "adopt",
            "reasons": "Adopted; rare-disease datasets may ask for an extension of 14 days.",
            "effective_at": rfc3339(effective),
        },
        headers=governed.admin.headers,
    )
    assert decided.status_code == 200, decided.text
    after = decided.json()
    assert after["outcome"] == "adopt" and after["policy"]["status"] == "adopted"
    assert [c["text"] for c in after["comments"]] == [
        "Fourteen days is too short for rare-disease datasets."
    ]
    with node.session() as s:
        assert policies.in_force(s, policies.PolicyKind.COMMITTEE_TERMS, clock.now()) is None

    clock.advance(timedelta(days=10))
    listed = client.get("/api/v1/policies").json()["items"]
    assert [(p["kind"], p["number"], p["status"]) for p in listed] == [
        ("committee-terms", 1, "in-force")
    ]
    page = client.get(f"/governance/consultations/{cid}")
    assert page.status_code == 200 and "Fourteen days is too short" in page.text
    assert event_types(node) == [
        "governance.consultation.opened",
        "governance.consultation.announced",
        "governance.comment.received",
        "governance.consultation.decided",
    ]


def test_a_new_version_supersedes_and_rejection_keeps_the_old(
    client: TestClient, governed: Governed, clock: SettableClock
) -> None:
    first = _propose(client, governed, clock).json()
    clock.advance(timedelta(days=31))
    client.post(
        f"/api/v1/consultations/{first['id']}/decision",
        json={"outcome": "adopt", "reasons": "No objections were received."},
        headers=governed.admin.headers,
    )
    second = _propose(client, governed, clock, title="Decisions within 7 days").json()
    pending = _propose(client, governed, clock, title="A third")
    assert (pending.status_code, pending.json()["code"]) == (
        409,
        "governance.consultation-pending",
    )
    clock.advance(timedelta(days=31))
    rejected = client.post(
        f"/api/v1/consultations/{second['id']}/decision",
        json={"outcome": "reject", "reasons": "Committees said seven days is unworkable."},
        headers=governed.admin.headers,
    ).json()
    assert rejected["policy"]["status"] == "rejected"
    statuses = {p["number"]: p["status"] for p in client.get("/api/v1/policies").json()["items"]}
    assert statuses == {1: "in-force", 2: "rejected"}
    first_page = client.get("/api/v1/policies", params={"limit": 1})
    assert [p["number"] for p in first_page.json()["items"]] == [1]
    assert 'rel="next"' in first_page.headers["link"]
    rest = client.get(
        "/api/v1/policies", params={"limit": 1, "cursor": first_page.json()["next_cursor"]}
    ).json()
    assert [p["number"] for p in rest["items"]] == [2] and rest["next_cursor"] is None


def test_adopted_risk_rules_change_recommendations(
    client: TestClient, governed: Governed, clock: SettableClock
) -> None:
    rules = json.loads(default_rules().model_dump_json())
    rules["version"] = "2027-1"
    rules["rules"].append(
        {
            "id": "location-restricted",
            "when": {"categories_any": ["location"]},
            "then": {"tier_at_least": "restricted"},
            "because": "precise locations stay on the node",
        }
    )
    opened = _propose(
        client,
        governed,
        clock,
        kind="risk-rules",
        title="Locations stay",
        content=json.dumps(rules),
    ).json()
    clock.advance(timedelta(days=31))
    client.post(
        f"/api/v1/consultations/{opened['id']}/decision",
        json={"outcome": "adopt", "reasons": "Supported by every response."},
        headers=governed.admin.headers,
    )
    assert client.get("/api/v1/risk-rules").json()["version"] == "2027-1"
    assessed = client.post(
        f"/api/v1/datasets/{governed.dataset_id}/versions/1/risk-assessments",
        json={
            "assessment": {
                "categories": ["location"],
                "reidentification_risk": "low",
                "harm_if_misused": "low",
            }
        },
        headers=governed.steward.headers,
    ).json()
    assert assessed["recommendation"]["tier"] == "restricted"
    assert assessed["recommendation"]["rules_version"] == "2027-1"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"deadline": "2026-01-15T13:00:00Z"}, "governance.invalid-deadline"),
        ({"deadline": "2026-02-01T00:00:00"}, "validation"),
        ({"kind": "house-rules"}, "validation"),
        ({"kind": "risk-rules", "content": "{not json"}, "governance.invalid-rules"),
        ({"title": ""}, "validation"),
    ],
)
def test_bad_proposals_are_refused(
    client: TestClient,
    governed: Governed,
    clock: SettableClock,
    changes: dict[str, str],
    code: str,
) -> None:
    answer = _propose(client, governed, clock, **changes)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code


def test_wrong_roles_are_refused(
    client: TestClient, governed: Governed, clock: SettableClock
) -> None:
    body = {
        "kind": "committee-terms",
        "title": "x",
        "content": "y",
        "deadline": rfc3339(clock.now() + timedelta(days=5)),
    }
    as_steward = client.post("/api/v1/policies", json=body, headers=governed.steward.headers)
    assert as_steward.status_code == 403
    cid = _propose(client, governed, clock).json()["id"]
    anonymous = client.post(f"/api/v1/consultations/{cid}/comments", json={"text": "hello"})
    assert anonymous.status_code == 401
    clock.advance(timedelta(days=31))
    deciding = client.post(
        f"/api/v1/consultations/{cid}/decision",
        json={"outcome": "adopt", "reasons": "I like it very much."},
        headers=governed.researcher.headers,
    )
    assert deciding.status_code == 403
    unknown = client.get("/api/v1/consultations/cns_nothing")
    assert (unknown.status_code, unknown.json()["code"]) == (
        404,
        "governance.consultation-not-found",
    )


def test_peer_comment_after_the_deadline_is_refused(
    governed: Governed, clock: SettableClock, node: NodeContext, client: TestClient
) -> None:
    cid = _propose(client, governed, clock).json()["id"]
    clock.advance(timedelta(days=31))
    with node.session() as s, pytest.raises(Conflict) as refused:
        policies.peer_comment(s, cid, "brazil", "Brazil node", "Too late, sadly.")
    assert refused.value.code == "governance.consultation-closed"

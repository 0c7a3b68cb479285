"""The access workflow end to end over the API, on SQLite and PostgreSQL: each path from
request to download (or refusal), with the ledger recording every step."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.identity.permissions import Role
from tests.access.conftest import World, event_types, scoped_account
from tests.catalog.conftest import assert_problem


def test_refer_clarify_approve_download_expire_refused(world: World) -> None:
    assert_problem(world.download(), 403, "catalog.grant-required")
    request = world.submit(duration="P30D")
    assert request["state"] == "referred"
    assert request["engine"]["outcome"] == "refer"
    assert [r["code"] for r in request["engine"]["deciding"]] == ["committee.review"]
    deadline = request["deadline_at"]

    asked = world.client.post(
        f"/api/v1/requests/{request['id']}/messages",
        headers=world.member.headers,
        json={"body": "Which outcomes will you publish, and at what level of aggregation?"},
    )
    assert asked.status_code == 201, asked.text
    status = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.researcher.headers)
    assert status.json()["state"] == "awaiting-clarification"
    assert_problem(world.decide(request["id"]), 409, "access.awaiting-clarification")

    world.advance(3)
    answered = world.client.post(
        f"/api/v1/requests/{request['id']}/messages",
        headers=world.researcher.headers,
        json={"body": "Only aggregates by age band; no individual records."},
    )
    assert answered.status_code == 201, answered.text
    after = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.member.headers)
    assert after.json()["state"] == "referred"
    assert after.json()["deadline_at"] > deadline, "the deadline pauses while the committee waits"
    assert [m["author_role"] for m in after.json()["messages"]] == ["committee", "requester"]

    decided = world.decide(request["id"], conditions=["Publish aggregates only"])
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["state"] == "approved"
    assert body["decided_by"] == "committee"
    assert body["conditions"] == ["Publish aggregates only"]
    grant_id = body["grant_id"]

    download = world.download()
    assert download.status_code == 200
    assert download.content.startswith(b"id,age,outcome")
    drs = f"/ga4gh/drs/v1/objects/{world.version['files'][0]['id']}/access/https"
    access_url = world.client.get(drs, headers=world.researcher.headers)
    assert access_url.status_code == 200, access_url.text
    assert access_url.json()["url"].endswith(world.file_url)

    world.advance(31)
    assert_problem(world.download(), 403, "access.grant-expired")
    assert_problem(
        world.client.get(drs, headers=world.researcher.headers), 403, "access.grant-expired"
    )
    grant = world.client.get(f"/api/v1/grants/{grant_id}", headers=world.researcher.headers)
    assert grant.json()["state"] == "expired"
    assert event_types(world.node) == [
        "access.request.submitted",
        "access.request.referred",
        "access.request.clarification-requested",
        "access.request.clarified",
        "access.vote.cast",
        "access.request.approved",
        "access.grant.created",
    ]


def test_committee_deny_appeal_overturn_grant_download(world: World) -> None:
    request = world.submit()
    denied = world.decide(request["id"], outcome="deny")
    assert denied.json()["state"] == "denied"
    assert denied.json()["appealable_until"] is not None
    assert_problem(world.download(), 403, "catalog.grant-required")

    appeal = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": request["id"], "grounds": "The purpose is within the consent given."},
    )
    assert appeal.status_code == 201, appeal.text
    again = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": request["id"], "grounds": "Trying a second time on the same denial."},
    )
    assert_problem(again, 409, "access.appealed")

    # the committee member who decided is not the independent review body
    assert_problem(
        world.client.post(
            f"/api/v1/appeals/{appeal.json()['id']}/decision",
            headers=world.member.headers,
            json={"outcome": "overturn", "reasons": "I changed my mind about it."},
        ),
        403,
        "forbidden",
    )
    overturned = world.client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decision",
        headers=world.reviewer.headers,
        json={"outcome": "overturn", "reasons": "The committee misread the consent form."},
    )
    assert overturned.status_code == 200, overturned.text
    assert overturned.json()["state"] == "overturned"
    grant_id = overturned.json()["grant_id"]
    assert grant_id
    assert world.download().status_code == 200
    grant = world.client.get(f"/api/v1/grants/{grant_id}", headers=world.researcher.headers)
    assert grant.json()["state"] == "active"
    final = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.researcher.headers)
    assert final.json()["decided_by"] == "review-body"
    assert "access.appeal.overturned" in event_types(world.node)


def test_the_appeal_window_closes(world: World) -> None:
    request = world.submit()
    world.decide(request["id"], outcome="deny")
    world.advance(31)
    late = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": request["id"], "grounds": "I was away and could not appeal sooner."},
    )
    assert_problem(late, 409, "access.appeal-window-closed")


def test_a_reviewer_who_voted_cannot_decide_the_appeal(world: World) -> None:
    both = world.make_account(Role.REVIEWER, Role.COMMITTEE, country="CH")
    request = world.submit()
    world.decide(request["id"], who=both, outcome="deny")
    appeal = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": request["id"], "grounds": "The purpose is within the consent given."},
    ).json()
    refused = world.client.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        headers=both.headers,
        json={"outcome": "uphold", "reasons": "The committee was right to deny it."},
    )
    assert_problem(refused, 403, "access.not-independent")
    upheld = world.client.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        headers=world.reviewer.headers,
        json={"outcome": "uphold", "reasons": "The committee was right to deny it."},
    )
    assert upheld.json()["state"] == "upheld"
    assert upheld.json()["grant_id"] is None


def test_conflict_of_interest_blocks_a_member(world: World) -> None:
    colleague = scoped_account(world, Role.COMMITTEE, world.data_org, country="KE")
    insider = world.make_account(Role.RESEARCHER, country="KE", organisation_id=world.data_org)
    request = world.submit(who=insider)
    assert_problem(world.decide(request["id"]), 403, "access.conflict-of-interest")
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    flagged = next(i for i in queue["items"] if i["id"] == request["id"])
    assert flagged["conflict_of_interest"] is True
    assert_problem(world.decide(request["id"], who=colleague), 403, "access.conflict-of-interest")
    node_wide = world.make_account(Role.COMMITTEE, country="DE")
    assert world.decide(request["id"], who=node_wide).json()["state"] == "approved"


def test_quorum_two_of_three(world: World, client: TestClient) -> None:
    second = world.make_account(Role.COMMITTEE, country="DE")
    third = world.make_account(Role.COMMITTEE, country="FR")
    configured = client.put(
        f"/api/v1/committees/{world.data_org}",
        headers=world.steward.headers,
        json={"quorum": 2},
    )
    assert configured.status_code == 200, configured.text
    assert len(configured.json()["members"]) == 3
    request = world.submit()
    first = world.decide(request["id"])
    assert first.json()["state"] == "referred"
    assert first.json()["quorum"] == 2
    assert_problem(world.decide(request["id"]), 409, "access.already-voted")
    denial = world.decide(request["id"], who=third, outcome="deny")
    assert denial.json()["state"] == "referred"
    decided = world.decide(request["id"], who=second)
    assert decided.json()["state"] == "approved"
    assert len(decided.json()["votes"]) == 3
    assert world.download().status_code == 200
    researcher_view = client.get(
        f"/api/v1/requests/{request['id']}", headers=world.researcher.headers
    ).json()
    assert researcher_view["votes"] is None, "votes are for the committee and review body only"


def test_researchers_and_stewards_cannot_set_a_quorum_elsewhere(
    world: World, client: TestClient
) -> None:
    assert_problem(
        client.put(
            f"/api/v1/committees/{world.data_org}",
            headers=world.researcher.headers,
            json={"quorum": 2},
        ),
        403,
        "forbidden",
    )
    other_steward = scoped_account(world, Role.STEWARD, world.research_org)
    assert_problem(
        client.put(
            f"/api/v1/committees/{world.data_org}",
            headers=other_steward.headers,
            json={"quorum": 2},
        ),
        403,
        "access.not-steward",
    )


def test_withdraw_a_pending_request(world: World) -> None:
    request = world.submit()
    withdrawn = world.client.post(
        f"/api/v1/requests/{request['id']}/withdrawal",
        headers=world.researcher.headers,
        json={"reason": "Project cancelled"},
    )
    assert withdrawn.json()["state"] == "withdrawn"
    assert_problem(world.decide(request["id"]), 409, "access.request-not-pending")
    again = world.client.post(
        f"/api/v1/requests/{request['id']}/withdrawal", headers=world.researcher.headers, json={}
    )
    assert_problem(again, 409, "access.request-not-pending")


def test_restricted_data_are_granted_for_the_sandbox_only(world: World) -> None:
    world.publish(tier="restricted")
    request = world.submit(mode="download")
    assert request["state"] == "referred"
    assert request["engine"]["mode"] == "sandbox"
    assert "tier.restricted" in {r["code"] for r in request["engine"]["deciding"]}
    grant_id = world.decide(request["id"]).json()["grant_id"]
    grant = world.client.get(f"/api/v1/grants/{grant_id}", headers=world.researcher.headers)
    assert grant.json()["mode"] == "sandbox"
    assert [d["kind"] for d in grant.json()["duties"]] == []
    assert_problem(world.download(), 403, "catalog.sandbox-only")

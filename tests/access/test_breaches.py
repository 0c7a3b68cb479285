"""Breach reports, their investigation, and sanctions: suspension pauses grants and bars new
requests until lifted; revocation ends grants; sanctions can be appealed."""

from __future__ import annotations

from typing import Any

from accord.identity.permissions import Role
from tests.access.conftest import World, agreement, event_types, scoped_account
from tests.catalog.conftest import assert_problem


def granted(world: World) -> dict[str, Any]:
    world.govern(agreement())
    request = world.submit()
    assert request["state"] == "approved"
    return request


def report(world: World, **body: Any) -> dict[str, Any]:
    response = world.client.post(
        "/api/v1/breaches",
        headers=world.member.headers,
        json={"description": "A copy of the data was posted on a public forum.", **body},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def suspend(
    world: World, subject_kind: str, subject_id: str, breach_id: str, duration: str = "P90D"
) -> dict[str, Any]:
    response = world.client.post(
        "/api/v1/sanctions",
        headers=world.reviewer.headers,
        json={
            "kind": "suspension",
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "reason": "Data shared outside the project, against the agreement.",
            "duration": duration,
            "breach_id": breach_id,
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_breach_suspension_pauses_grants_until_lifted(world: World) -> None:
    request = granted(world)
    breach = report(world, grant_id=request["grant_id"])
    assert breach["state"] == "open"
    assert breach["notes"] is None, "the reporter does not see the investigation"

    note = world.client.post(
        f"/api/v1/breaches/{breach['id']}/notes",
        headers=world.reviewer.headers,
        json={"body": "Forum post archived; contacted the holder."},
    )
    assert note.status_code == 201, note.text
    seen = world.client.get(f"/api/v1/breaches/{breach['id']}", headers=world.reviewer.headers)
    assert seen.json()["state"] == "investigating"
    assert seen.json()["suspect_user_id"] == world.researcher.id

    sanction = suspend(world, "user", world.researcher.id, breach["id"])
    assert sanction["in_force"] is True
    assert_problem(world.download(), 403, "access.grant-paused")
    grant_url = f"/api/v1/grants/{request['grant_id']}"
    assert world.client.get(grant_url, headers=world.researcher.headers).json()["state"] == "paused"
    again = world.submit()
    assert again["state"] == "denied"
    assert "sanction.in-force" in {r["code"] for r in again["engine"]["deciding"]}

    resolved = world.client.post(
        f"/api/v1/breaches/{breach['id']}/resolution",
        headers=world.reviewer.headers,
        json={"outcome": "substantiated", "resolution": "The holder shared the file; suspended."},
    )
    assert resolved.json()["state"] == "resolved"

    lifted = world.client.post(
        f"/api/v1/sanctions/{sanction['id']}/lifting",
        headers=world.reviewer.headers,
        json={"reason": "Holder completed data-protection training."},
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["in_force"] is False
    assert world.download().status_code == 200
    assert world.client.get(grant_url, headers=world.researcher.headers).json()["state"] == "active"
    assert [t for t in event_types(world.node) if ".breach." in t or ".sanction." in t] == [
        "access.breach.reported",
        "access.breach.noted",
        "access.sanction.imposed",
        "access.breach.resolved",
        "access.sanction.lifted",
    ]


def test_an_organisation_suspension_pauses_every_member_and_ends_by_itself(world: World) -> None:
    granted(world)
    breach = report(world, dataset_id=world.dataset_id)
    suspend(world, "organisation", world.research_org, breach["id"], duration="P30D")
    assert_problem(world.download(), 403, "access.grant-paused")
    colleague = world.make_account(country="BR", organisation_id=world.research_org)
    assert world.submit(who=colleague)["state"] == "denied"
    world.advance(31)
    assert world.download().status_code == 200


def test_revocation_sanction_appealed_and_overturned_reinstates(world: World) -> None:
    request = granted(world)
    breach = report(world, grant_id=request["grant_id"])
    revoked = world.client.post(
        "/api/v1/sanctions",
        headers=world.reviewer.headers,
        json={
            "kind": "revocation",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "reason": "Data copied to an unapproved server.",
            "breach_id": breach["id"],
        },
    ).json()
    assert revoked["revoked_grants"] == [request["grant_id"]]
    assert_problem(world.download(), 403, "access.grant-revoked")

    appeal = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"sanction_id": revoked["id"], "grounds": "The server is our approved enclave."},
    )
    assert appeal.status_code == 201, appeal.text
    second_reviewer = world.make_account(Role.REVIEWER, country="DE")
    own = world.client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decision",
        headers=world.reviewer.headers,
        json={"outcome": "uphold", "reasons": "I imposed it and I stand by it."},
    )
    assert_problem(own, 403, "access.not-independent")
    decided = world.client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decision",
        headers=second_reviewer.headers,
        json={"outcome": "overturn", "reasons": "The enclave is listed in the approved plan."},
    )
    assert decided.status_code == 200, decided.text
    assert world.download().status_code == 200
    assert "access.grant.reinstated" in event_types(world.node)


def test_warning_and_evidence(world: World) -> None:
    request = granted(world)
    breach = report(world, grant_id=request["grant_id"])
    data = b"\x89PNG screenshot bytes"
    evidence = world.client.post(
        f"/api/v1/breaches/{breach['id']}/evidence",
        headers={**world.reviewer.headers, "Content-Type": "image/png"},
        params={"filename": "forum.png"},
        content=data,
    )
    assert evidence.status_code == 201, evidence.text
    content = world.client.get(
        f"/api/v1/breaches/{breach['id']}/evidence/{evidence.json()['id']}/content",
        headers=world.reviewer.headers,
    )
    assert content.content == data
    hidden = world.client.get(
        f"/api/v1/breaches/{breach['id']}/evidence/{evidence.json()['id']}/content",
        headers=world.member.headers,
    )
    assert_problem(hidden, 404, "access.evidence-not-found")
    warning = world.client.post(
        "/api/v1/sanctions",
        headers=world.reviewer.headers,
        json={
            "kind": "warning",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "reason": "Keep the data on approved machines only.",
            "breach_id": breach["id"],
        },
    )
    assert warning.json()["in_force"] is False
    assert world.download().status_code == 200
    mine = world.client.get("/api/v1/sanctions", headers=world.researcher.headers).json()
    assert [s["kind"] for s in mine["items"]] == ["warning"]


def test_only_the_review_body_in_scope_investigates(world: World) -> None:
    breach = report(world, dataset_id=world.dataset_id)
    elsewhere = scoped_account(world, Role.REVIEWER, world.research_org)
    note = world.client.post(
        f"/api/v1/breaches/{breach['id']}/notes",
        headers=elsewhere.headers,
        json={"body": "Not my dataset, trying anyway."},
    )
    assert_problem(note, 404, "access.breach-not-found")
    researcher_sanction = world.client.post(
        "/api/v1/sanctions",
        headers=world.researcher.headers,
        json={
            "kind": "warning",
            "subject_kind": "user",
            "subject_id": world.member.id,
            "reason": "Retaliating against the reporter.",
        },
    )
    assert_problem(researcher_sanction, 403, "forbidden")
    suspension_without_period = world.client.post(
        "/api/v1/sanctions",
        headers=world.reviewer.headers,
        json={
            "kind": "suspension",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "reason": "Suspension without an end is not allowed.",
        },
    )
    assert_problem(suspension_without_period, 422, "access.suspension-needs-duration")

"""Duties over time, with the injected clock: reminders before deadlines, overdue flags shown to
the committee, publication reports, deletion attestation at grant end, and the sweep."""

from __future__ import annotations

from typing import Any

from tests.access.conftest import World, agreement, event_types
from tests.catalog.conftest import assert_problem


def sweep(world: World) -> dict[str, Any]:
    response = world.client.post("/api/v1/access-sweeps", headers=world.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def grant_of(world: World, grant_id: str) -> dict[str, Any]:
    response = world.client.get(f"/api/v1/grants/{grant_id}", headers=world.researcher.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_publication_duty_reminded_then_overdue_then_reported(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit(duration="P1Y")["grant_id"]
    duty = next(d for d in grant_of(world, grant_id)["duties"] if d["kind"] == "publication-report")
    assert duty["due_at"].startswith("2026-07-15")

    assert sweep(world) == {"expired": 0, "reminded": 0, "overdue": 0, "emails_retried": 0}
    world.advance(170)
    assert sweep(world)["reminded"] == 1
    assert sweep(world)["reminded"] == 0, "each duty is reminded once"
    inbox = world.client.get("/api/v1/notifications", headers=world.researcher.headers).json()
    assert "duty.reminder" in [n["kind"] for n in inbox["items"]]

    world.advance(15)
    assert sweep(world)["overdue"] == 1
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    assert [d["id"] for d in queue["overdue_duties"]] == [duty["id"]]
    assert grant_of(world, grant_id)["duties"][0]["overdue"] is True

    reported = world.client.post(
        f"/api/v1/grants/{grant_id}/publications",
        headers=world.researcher.headers,
        json={"doi": "10.1234/malaria.2026", "citation": "Lima A. Malaria outcomes. 2026."},
    )
    assert reported.status_code == 201, reported.text
    after = grant_of(world, grant_id)
    assert [p["doi"] for p in after["publications"]] == ["10.1234/malaria.2026"]
    assert next(d for d in after["duties"] if d["id"] == duty["id"])["status"] == "fulfilled"
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    assert queue["overdue_duties"] == []
    types = event_types(world.node)
    assert types.count("access.duty.reminded") == 1
    assert types.count("access.duty.overdue") == 1
    assert "access.publication.reported" in types


def test_grant_end_expiry_and_deletion_attestation(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit(duration="P30D")["grant_id"]
    early = world.client.post(
        f"/api/v1/grants/{grant_id}/deletion-attestation",
        headers=world.researcher.headers,
        json={"statement": "Deleted every copy from the analysis server."},
    )
    assert_problem(early, 409, "access.grant-still-active")

    world.advance(30)
    assert world.download().status_code == 403
    assert sweep(world)["expired"] == 1
    assert sweep(world)["expired"] == 0
    deletion = next(
        d for d in grant_of(world, grant_id)["duties"] if d["kind"] == "deletion-attestation"
    )
    assert deletion["due_at"].startswith("2026-02-28"), "14 days after the end, per the agreement"
    attested = world.client.post(
        f"/api/v1/grants/{grant_id}/deletion-attestation",
        headers=world.researcher.headers,
        json={"statement": "Deleted every copy from the analysis server."},
    )
    assert attested.status_code == 200, attested.text
    done = next(d for d in attested.json()["duties"] if d["kind"] == "deletion-attestation")
    assert done["status"] == "fulfilled"
    assert "access.grant.expired" in event_types(world.node)
    assert "access.duty.fulfilled" in event_types(world.node)


def test_revocation_brings_the_deletion_duty_forward(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit(duration="P1Y")["grant_id"]
    revoked = world.client.post(
        f"/api/v1/grants/{grant_id}/revocation",
        headers=world.member.headers,
        json={"reason": "The ethics approval was withdrawn."},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    deletion = next(d for d in revoked.json()["duties"] if d["kind"] == "deletion-attestation")
    assert deletion["due_at"].startswith("2026-01-29")
    assert_problem(world.download(), 403, "access.grant-revoked")
    again = world.client.post(
        f"/api/v1/grants/{grant_id}/revocation",
        headers=world.member.headers,
        json={"reason": "The ethics approval was withdrawn."},
    )
    assert_problem(again, 409, "access.grant-revoked")


def test_overdue_committee_decisions_are_flagged_once(world: World) -> None:
    request = world.submit()
    world.advance(31)
    assert sweep(world)["overdue"] == 1
    assert sweep(world)["overdue"] == 0
    inbox = world.client.get("/api/v1/notifications", headers=world.member.headers).json()
    kinds = [n["kind"] for n in inbox["items"]]
    assert kinds == ["request.referred", "request.overdue"]
    assert "access.request.overdue" in event_types(world.node)
    status = world.client.get(f"/api/v1/requests/{request['id']}", headers=world.member.headers)
    assert status.json()["overdue"] is True


def test_only_the_holder_reports_and_only_admins_sweep(world: World) -> None:
    world.govern(agreement())
    grant_id = world.submit()["grant_id"]
    by_member = world.client.post(
        f"/api/v1/grants/{grant_id}/publications",
        headers=world.member.headers,
        json={"citation": "Someone else's paper, 2026."},
    )
    assert_problem(by_member, 403, "access.not-grant-holder")
    stranger = world.make_account(country="DE")
    by_stranger = world.client.post(
        f"/api/v1/grants/{grant_id}/publications",
        headers=stranger.headers,
        json={"citation": "Someone else's paper, 2026."},
    )
    assert_problem(by_stranger, 404, "access.grant-not-found")
    assert_problem(
        world.client.post("/api/v1/access-sweeps", headers=world.member.headers), 403, "forbidden"
    )

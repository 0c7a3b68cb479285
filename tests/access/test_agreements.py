"""Requests under attached agreements: the engine grants, denies with reasons, or keeps the
data home; duties and obligations are copied from the agreement into the grant."""

from __future__ import annotations

from accord.access.service import check_download, sandbox_grant_for
from tests.access.conftest import World, agreement, event_types
from tests.catalog.conftest import assert_problem


def test_auto_grant_copies_conditions_and_duties(world: World) -> None:
    ref = world.govern(agreement())
    request = world.submit()
    assert request["state"] == "approved", request["engine"]
    assert request["decided_by"] == "engine"
    assert request["engine"]["agreement"] == ref
    grant = world.client.get(
        f"/api/v1/grants/{request['grant_id']}", headers=world.researcher.headers
    ).json()
    assert grant["state"] == "active"
    assert grant["mode"] == "download"
    assert grant["agreement"] == ref
    codes = {o["code"] for o in grant["obligations"]}
    assert {"licence", "duty.cite", "duty.report-publications", "duty.delete-after-use"} <= codes
    kinds = sorted(d["kind"] for d in grant["duties"])
    assert kinds == ["deletion-attestation", "publication-report"]
    assert world.download().status_code == 200
    assert event_types(world.node) == [
        "access.request.submitted",
        "access.request.approved",
        "access.grant.created",
    ]


def test_engine_denial_then_appeal_overturn_grant_download(world: World) -> None:
    world.govern(agreement())
    request = world.submit(purpose=["POA"])
    assert request["state"] == "denied"
    assert request["decided_by"] == "engine"
    deciding = [r["code"] for r in request["engine"]["deciding"]]
    assert deciding and all(code.startswith("duo.") for code in deciding), deciding
    assert "POA" in request["decision_reasons"] or "ancestry" in request["decision_reasons"]
    inbox = world.client.get("/api/v1/notifications", headers=world.researcher.headers).json()
    assert [n["kind"] for n in inbox["items"]] == ["request.denied"]

    appeal = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": request["id"], "grounds": "Population origins is part of our HMB aim."},
    ).json()
    decided = world.client.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        headers=world.reviewer.headers,
        json={"outcome": "overturn", "reasons": "The study is health research by its protocol."},
    )
    assert decided.status_code == 200, decided.text
    grant = world.client.get(
        f"/api/v1/grants/{decided.json()['grant_id']}", headers=world.researcher.headers
    ).json()
    assert grant["state"] == "active"
    assert {o["code"] for o in grant["obligations"]} >= {"licence", "duty.cite"}
    assert world.download().status_code == 200


def test_residency_keeps_the_data_home_sandbox_grant(world: World) -> None:
    world.govern(agreement(residency={"jurisdictions": ["CH", "KE"]}))
    abroad = world.make_account(country="BR")
    request = world.submit(who=abroad)
    assert request["state"] == "approved"
    assert request["engine"]["mode"] == "sandbox"
    assert "residency.sandbox-only" in {r["code"] for r in request["engine"]["deciding"]}
    assert_problem(world.download(abroad), 403, "access.grant-sandbox-only")
    with world.node.session() as s:
        now = world.clock.now()
        sandbox = sandbox_grant_for(s, abroad.id, str(world.version["id"]), now)
        assert sandbox is not None and sandbox.grant_id == request["grant_id"]
        assert sandbox.disclosure is None
        assert not check_download(s, abroad.id, str(world.version["id"]), now).allowed
        assert sandbox_grant_for(s, world.researcher.id, str(world.version["id"]), now) is None


def test_committee_review_of_every_request_refers_with_the_agreement_deadline(
    world: World,
) -> None:
    world.govern(agreement(committee={"name": "Malaria DAC", "decision_deadline": "P14D"}))
    request = world.submit()
    assert request["state"] == "referred"
    assert request["committee"] == "Malaria DAC"
    assert request["deadline_at"].startswith("2026-01-29")
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    item = next(i for i in queue["items"] if i["id"] == request["id"])
    assert item["recommendation"] == "permit", "only the committee clause referred it"
    assert item["overdue"] is False
    world.advance(15)
    queue = world.client.get("/api/v1/reviews", headers=world.member.headers).json()
    assert next(i for i in queue["items"] if i["id"] == request["id"])["overdue"] is True


def test_preview_shows_the_engines_answer_without_storing(world: World) -> None:
    world.govern(agreement())
    body = {"dataset_id": world.dataset_id, "purpose": ["POA"], "duration": "P2Y"}
    preview = world.client.post(
        "/api/v1/request-previews", headers=world.researcher.headers, json=body
    )
    assert preview.status_code == 200, preview.text
    answer = preview.json()
    assert answer["outcome"] == "deny"
    assert "duration.exceeds-maximum" in {r["code"] for r in answer["deciding"]}
    assert event_types(world.node) == []
    unknown = world.client.post(
        "/api/v1/request-previews",
        headers=world.researcher.headers,
        json={**body, "purpose": ["NOT-A-TERM"]},
    )
    assert_problem(unknown, 422, "access.unknown-purpose-term")


def test_renewal_extends_the_grant(world: World) -> None:
    world.govern(agreement())
    request = world.submit(duration="P30D")
    grant_id = request["grant_id"]
    world.advance(25)
    renewal = world.client.post(
        f"/api/v1/grants/{grant_id}/renewal",
        headers=world.researcher.headers,
        json={"duration": "P90D", "justification": "Analysis needs another quarter."},
    )
    assert renewal.status_code == 201, renewal.text
    assert renewal.json()["kind"] == "renewal"
    assert renewal.json()["state"] == "approved"
    grant = world.client.get(f"/api/v1/grants/{grant_id}", headers=world.researcher.headers)
    assert grant.json()["expires_at"].startswith("2026-05-")
    world.advance(30)
    assert world.download().status_code == 200
    assert "access.grant.renewed" in event_types(world.node)

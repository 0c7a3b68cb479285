"""The authorisation matrix: every access workflow route × every role × another organisation's
objects. People of another organisation, whatever role they hold there, never succeed on this
organisation's requests, grants, appeals, breach reports, sanctions or inbox, and lists never
show them these objects. The table must name every route, so a new route cannot skip it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from accord.identity import service as identity
from accord.identity.permissions import Role
from accord.identity.principal import local_operator
from accord.identity.schemas import OrganisationCreate
from tests.access.conftest import ROR_RESEARCH, World, agreement, new_account, scoped_account
from tests.conftest import Account

ROLES = [
    Role.RESEARCHER,
    Role.STEWARD,
    Role.COMMITTEE,
    Role.REVIEWER,
    Role.OUTPUT_CHECKER,
    Role.AUDITOR,
]
REASON = {"reasons": "A reason long enough to pass validation."}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    content: bytes | None = None
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes]] | None = None


@dataclass(frozen=True)
class Objects:
    """This organisation's objects that the outsiders aim at."""

    referred: str
    denied: str
    grant: str
    appeal: str
    breach: str
    evidence: str
    sanction: str
    notification: str
    organisation: str
    dataset: str

    def ids(self) -> set[str]:
        return {
            self.referred,
            self.denied,
            self.grant,
            self.appeal,
            self.breach,
            self.sanction,
            self.notification,
        }


def object_calls(o: Objects) -> dict[tuple[str, str], Call]:
    """Routes acting on one existing object of this organisation: every one must fail."""
    return {
        ("GET", "/api/v1/requests/{request_id}"): Call("GET", f"/api/v1/requests/{o.referred}"),
        ("POST", "/api/v1/requests/{request_id}/withdrawal"): Call(
            "POST", f"/api/v1/requests/{o.referred}/withdrawal", {}
        ),
        ("POST", "/api/v1/requests/{request_id}/messages"): Call(
            "POST", f"/api/v1/requests/{o.referred}/messages", {"body": "Hello"}
        ),
        ("POST", "/api/v1/requests/{request_id}/decision"): Call(
            "POST", f"/api/v1/requests/{o.referred}/decision", {"outcome": "approve", **REASON}
        ),
        ("PUT", "/api/v1/committees/{scope_id}"): Call(
            "PUT", f"/api/v1/committees/{o.organisation}", {"quorum": 3}
        ),
        ("GET", "/api/v1/grants/{grant_id}"): Call("GET", f"/api/v1/grants/{o.grant}"),
        ("POST", "/api/v1/grants/{grant_id}/revocation"): Call(
            "POST", f"/api/v1/grants/{o.grant}/revocation", {"reason": REASON["reasons"]}
        ),
        ("POST", "/api/v1/grants/{grant_id}/renewal"): Call(
            "POST", f"/api/v1/grants/{o.grant}/renewal", {"justification": REASON["reasons"]}
        ),
        ("POST", "/api/v1/grants/{grant_id}/publications"): Call(
            "POST", f"/api/v1/grants/{o.grant}/publications", {"citation": REASON["reasons"]}
        ),
        ("POST", "/api/v1/grants/{grant_id}/deletion-attestation"): Call(
            "POST",
            f"/api/v1/grants/{o.grant}/deletion-attestation",
            {"statement": REASON["reasons"]},
        ),
        ("GET", "/api/v1/grants/{grant_id}/visa"): Call("GET", f"/api/v1/grants/{o.grant}/visa"),
        ("POST", "/api/v1/access-sweeps"): Call("POST", "/api/v1/access-sweeps"),
        ("POST", "/api/v1/appeals"): Call(
            "POST", "/api/v1/appeals", {"request_id": o.denied, "grounds": REASON["reasons"]}
        ),
        ("GET", "/api/v1/appeals/{appeal_id}"): Call("GET", f"/api/v1/appeals/{o.appeal}"),
        ("POST", "/api/v1/appeals/{appeal_id}/decision"): Call(
            "POST", f"/api/v1/appeals/{o.appeal}/decision", {"outcome": "overturn", **REASON}
        ),
        ("GET", "/api/v1/breaches/{breach_id}"): Call("GET", f"/api/v1/breaches/{o.breach}"),
        ("POST", "/api/v1/breaches/{breach_id}/notes"): Call(
            "POST", f"/api/v1/breaches/{o.breach}/notes", {"body": "note"}
        ),
        ("POST", "/api/v1/breaches/{breach_id}/evidence"): Call(
            "POST",
            f"/api/v1/breaches/{o.breach}/evidence",
            params={"filename": "x.txt"},
            content=b"planted",
        ),
        ("GET", "/api/v1/breaches/{breach_id}/evidence/{evidence_id}/content"): Call(
            "GET", f"/api/v1/breaches/{o.breach}/evidence/{o.evidence}/content"
        ),
        ("POST", "/api/v1/breaches/{breach_id}/resolution"): Call(
            "POST",
            f"/api/v1/breaches/{o.breach}/resolution",
            {"outcome": "unfounded", "resolution": REASON["reasons"]},
        ),
        ("POST", "/api/v1/sanctions"): Call(
            "POST",
            "/api/v1/sanctions",
            {
                "kind": "revocation",
                "subject_kind": "user",
                "subject_id": "usr_x",
                "breach_id": o.breach,
                "reason": REASON["reasons"],
            },
        ),
        ("GET", "/api/v1/sanctions/{sanction_id}"): Call("GET", f"/api/v1/sanctions/{o.sanction}"),
        ("POST", "/api/v1/sanctions/{sanction_id}/lifting"): Call(
            "POST", f"/api/v1/sanctions/{o.sanction}/lifting", {"reason": REASON["reasons"]}
        ),
        ("POST", "/api/v1/notifications/{notification_id}/receipt"): Call(
            "POST", f"/api/v1/notifications/{o.notification}/receipt"
        ),
        **page_calls(o),
    }


def page_calls(o: Objects) -> dict[tuple[str, str], Call]:
    """The same objects through the web pages (form posts carry form fields)."""
    text = {"body": "Hello", "reasons": REASON["reasons"], "reason": REASON["reasons"]}
    posts = {
        "/access/requests/{request_id}/messages": f"/access/requests/{o.referred}/messages",
        "/access/requests/{request_id}/withdrawal": f"/access/requests/{o.referred}/withdrawal",
        "/access/requests/{request_id}/appeal": f"/access/requests/{o.denied}/appeal",
        "/access/reviews/{request_id}/decision": f"/access/reviews/{o.referred}/decision",
        "/access/grants/{grant_id}/publications": f"/access/grants/{o.grant}/publications",
        "/access/grants/{grant_id}/deletion-attestation": (
            f"/access/grants/{o.grant}/deletion-attestation"
        ),
        "/access/grants/{grant_id}/renewal": f"/access/grants/{o.grant}/renewal",
        "/access/grants/{grant_id}/revocation": f"/access/grants/{o.grant}/revocation",
        "/access/appeals/{appeal_id}/decision": f"/access/appeals/{o.appeal}/decision",
        "/access/breaches/{breach_id}/notes": f"/access/breaches/{o.breach}/notes",
        "/access/breaches/{breach_id}/resolution": f"/access/breaches/{o.breach}/resolution",
        "/access/breaches/{breach_id}/sanctions": f"/access/breaches/{o.breach}/sanctions",
        "/access/sanctions/{sanction_id}/lifting": f"/access/sanctions/{o.sanction}/lifting",
        "/access/sanctions/{sanction_id}/appeal": f"/access/sanctions/{o.sanction}/appeal",
        "/access/inbox/{notification_id}/receipt": f"/access/inbox/{o.notification}/receipt",
    }
    gets = {
        "/access/requests/{request_id}": f"/access/requests/{o.referred}",
        "/access/reviews/{request_id}": f"/access/reviews/{o.referred}",
        "/access/grants/{grant_id}": f"/access/grants/{o.grant}",
        "/access/appeals/{appeal_id}": f"/access/appeals/{o.appeal}",
        "/access/breaches/{breach_id}": f"/access/breaches/{o.breach}",
        "/access/sanctions/{sanction_id}": f"/access/sanctions/{o.sanction}",
    }
    calls = {("GET", route): Call("GET", path) for route, path in gets.items()}
    calls |= {("POST", route): Call("POST", path, form=text) for route, path in posts.items()}
    calls[("POST", "/access/breaches/{breach_id}/evidence")] = Call(
        "POST", f"/access/breaches/{o.breach}/evidence", files={"file": ("x.txt", b"x")}
    )
    return calls


LIST_CALLS: dict[tuple[str, str], list[Call]] = {
    ("GET", "/api/v1/requests"): [Call("GET", "/api/v1/requests")],
    ("GET", "/api/v1/reviews"): [Call("GET", "/api/v1/reviews")],
    ("GET", "/api/v1/grants"): [
        Call("GET", "/api/v1/grants"),
        Call("GET", "/api/v1/grants", params={"scope": "overseen"}),
    ],
    ("GET", "/api/v1/visas"): [Call("GET", "/api/v1/visas")],
    ("GET", "/api/v1/duties"): [Call("GET", "/api/v1/duties")],
    ("GET", "/api/v1/appeals"): [
        Call("GET", "/api/v1/appeals"),
        Call("GET", "/api/v1/appeals", params={"scope": "review"}),
    ],
    ("GET", "/api/v1/breaches"): [
        Call("GET", "/api/v1/breaches"),
        Call("GET", "/api/v1/breaches", params={"scope": "review"}),
    ],
    ("GET", "/api/v1/sanctions"): [Call("GET", "/api/v1/sanctions")],
    ("GET", "/api/v1/notifications"): [Call("GET", "/api/v1/notifications")],
    ("GET", "/access"): [Call("GET", "/access")],
    ("GET", "/access/reviews"): [Call("GET", "/access/reviews")],
    ("GET", "/access/review-body"): [Call("GET", "/access/review-body")],
    ("GET", "/access/inbox"): [Call("GET", "/access/inbox")],
}
"""Routes that list: they answer, but never with this organisation's objects."""

OPEN_BY_DESIGN = {
    ("POST", "/api/v1/requests"): "anyone with the researcher role may ask for access",
    ("POST", "/api/v1/request-previews"): "a what-if question changes nothing",
    ("POST", "/api/v1/breaches"): "anyone signed in may report a suspected breach",
    ("GET", "/api/v1/committees/{scope_id}"): "a committee's quorum and members are public",
    ("GET", "/api/v1/visa-keys"): "the visa-verifying key set is public",
    ("GET", "/access/requests/new"): "the request form",
    ("POST", "/access/requests/preview"): "a what-if question changes nothing",
    ("POST", "/access/requests"): "anyone with the researcher role may ask for access",
    ("GET", "/access/breaches/new"): "the breach report form",
    ("POST", "/access/breaches"): "anyone signed in may report a suspected breach",
    ("GET", "/datasets/{dataset_id}/versions/{number}/use-check"): "a what-if question about "
    "oneself changes nothing",
}


def access_routes(app: FastAPI) -> set[tuple[str, str]]:
    routes = set()
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context.original_route, "endpoint", None)
        if endpoint is not None and endpoint.__module__.startswith("accord.access."):
            routes |= {(m, context.path) for m in context.methods or () if m != "HEAD"}
    return routes


@pytest.fixture
def objects(world: World) -> Objects:
    world.govern(agreement(committee={"name": "DAC", "review": "every-request"}))
    referred = world.submit()["id"]
    denied = world.submit()["id"]
    world.decide(denied, outcome="deny")
    approved = world.submit()["id"]
    grant = world.decide(approved).json()["grant_id"]
    appeal = world.client.post(
        "/api/v1/appeals",
        headers=world.researcher.headers,
        json={"request_id": denied, "grounds": REASON["reasons"]},
    ).json()["id"]
    breach = world.client.post(
        "/api/v1/breaches",
        headers=world.member.headers,
        json={"grant_id": grant, "description": REASON["reasons"]},
    ).json()["id"]
    evidence = world.client.post(
        f"/api/v1/breaches/{breach}/evidence",
        headers=world.reviewer.headers,
        params={"filename": "e.txt"},
        content=b"evidence",
    ).json()["id"]
    sanction = world.client.post(
        "/api/v1/sanctions",
        headers=world.reviewer.headers,
        json={
            "kind": "warning",
            "subject_kind": "user",
            "subject_id": world.researcher.id,
            "breach_id": breach,
            "reason": REASON["reasons"],
        },
    ).json()["id"]
    inbox = world.client.get("/api/v1/notifications", headers=world.researcher.headers).json()
    return Objects(
        referred=referred,
        denied=denied,
        grant=grant,
        appeal=appeal,
        breach=breach,
        evidence=evidence,
        sanction=sanction,
        notification=inbox["items"][0]["id"],
        organisation=world.data_org,
        dataset=world.dataset_id,
    )


def outsiders(world: World) -> dict[str, Account]:
    """One person per role, each of a third organisation and holding the role only there."""
    third = _organisation(world, "Third Institute", ROR_RESEARCH)
    people = {
        role.value: scoped_account(world, role, third, country="DE")
        for role in (Role.STEWARD, Role.COMMITTEE, Role.REVIEWER)
    }
    for role in (Role.RESEARCHER, Role.OUTPUT_CHECKER, Role.AUDITOR):
        people[role.value] = new_account(world.node, role, country="DE", organisation_id=third)
    return people


def _organisation(world: World, name: str, ror: str) -> str:
    with world.node.session() as s:
        org = identity.create_organisation(
            s, local_operator(), OrganisationCreate(name=name, country="DE", ror_id=ror)
        )
        s.commit()
        return org.id


def send(world: World, who: Account, call: Call) -> Any:
    if call.form is not None or call.files is not None:
        return world.client.post(
            call.path, headers=who.headers, data=call.form or {}, files=call.files
        )
    return world.client.request(
        call.method,
        call.path,
        headers=who.headers,
        json=call.body,
        params=call.params,
        content=call.content,
    )


def test_the_table_names_every_access_route(app: FastAPI, objects: Objects) -> None:
    named = set(object_calls(objects)) | set(LIST_CALLS) | set(OPEN_BY_DESIGN)
    assert access_routes(app) == named


def test_no_role_of_another_organisation_succeeds(world: World, objects: Objects) -> None:
    """Refusals must be 403 or 404: a 409 or 422 would mean the call was judged on its
    content, not refused for who sent it. Lists answer, without this organisation's objects."""
    failures = []
    people = outsiders(world)
    calls = object_calls(objects)
    for role, person in people.items():
        for route, call in calls.items():
            response = send(world, person, call)
            if response.status_code not in (403, 404):
                failures.append(f"{role} {route}: {response.status_code} {response.text[:120]}")
        for route, list_calls in LIST_CALLS.items():
            for call in list_calls:
                response = send(world, person, call)
                leaked = objects.ids() & _found_ids(response)
                if response.status_code >= 500 or leaked:
                    failures.append(f"{role} {route} {call.params}: leaked {sorted(leaked)}")
    assert not failures, "\n".join(failures)
    assert len(people) == len(ROLES)


def _found_ids(response: Any) -> set[str]:
    if response.headers.get("content-type", "").startswith("text/html"):
        return set(re.findall(r"\b(?:req|gr|apl|brc|snc|ntf)_[0-9A-Z]{26}\b", response.text))
    return set(_ids(response.json()))


def _ids(document: Any) -> list[str]:
    if isinstance(document, dict):
        found = [str(document["id"])] if "id" in document else []
        return found + [i for value in document.values() for i in _ids(value)]
    if isinstance(document, list):
        return [i for value in document for i in _ids(value)]
    return []

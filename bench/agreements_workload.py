"""A mixed, seeded workload for the agreements benchmark: 1,000 agreements and many requests.

Agreements vary tier, DUO permission (with DS diseases) and modifiers, accreditations, grant
limits, residency and export rules, and ODRL rules (spatial, recipient, dateTime, count,
commercialize, reproduce). Requests vary purpose, disease, requester, mode and duration.
Every clause used here has an exact Cedar form in ``agreements_cedar.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.agreements.context import (
    Accreditation,
    Context,
    OrganisationKind,
    Purpose,
    Requester,
    Sanction,
)
from accord.agreements.decision import Mode
from accord.agreements.duo import Duo
from accord.agreements.durations import Duration

NOW = datetime(2025, 6, 1, tzinfo=UTC)
NODE_COUNTRY = "BR"
COUNTRIES = ["BR", "PT", "DE", "KE", "US", "IN", "KP"]
ORGS = ["05gq02987", "01ggx4t79"]
DISEASES = ["MONDO:0004992", "MONDO:0005015", "MONDO:0004975", "MONDO:0005550"]
REQUEST_DISEASES = [*DISEASES, "MONDO:0007254", "MONDO:0005148", "MONDO:0005136"]
CATEGORIES = [Duo.GRU, Duo.HMB, Duo.DS, Duo.POA]
DAYS = [30, 90, 180, 365, 730]


@dataclass(frozen=True)
class Request:
    """One request of the workload: which agreement, and the engine's context."""

    agreement: int
    context: Context
    sanctioned: bool


def agreements(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [_agreement(rng, index) for index in range(count)]


def _agreement(rng: random.Random, index: int) -> dict[str, Any]:
    tier = rng.choice(
        ["open", "registered", "registered", "controlled", "controlled", "restricted"]
    )
    permission = "NRES" if tier == "open" else rng.choice(["GRU", "HMB", "HMB", "DS", "POA"])
    duo: dict[str, Any] = {"permission": permission}
    if permission == "DS":
        duo["diseases"] = rng.sample(DISEASES, rng.randint(1, 2))
    allowed = ["NCU", "PUB", "NPOA"] if tier == "open" else ["NCU", "NPU", "IRB", "PUB", "NPOA"]
    if permission == "POA":
        allowed.remove("NPOA")
    modifiers: list[Any] = rng.sample(allowed, rng.randint(0, 2))
    if rng.random() < 0.2:
        modifiers.append({"code": "GS", "countries": rng.sample(COUNTRIES[:5], 2)})
    duo["modifiers"] = modifiers
    data: dict[str, Any] = {
        "title": f"Workload agreement {index}",
        "tier": tier,
        "licence": "CC-BY-4.0",
        "duo": duo,
        "duties": [{"kind": "cite"}],
    }
    if tier in ("controlled", "restricted"):
        data["committee"] = {"name": "DAC", "review": rng.choice(["every-request", "exceptions"])}
    if tier != "open" and rng.random() < 0.5:
        data["accreditations"] = ["researcher"]
    if rng.random() < 0.4:
        data["max_grant_duration"] = f"P{rng.choice([365, 730])}D"
    if rng.random() < 0.3:
        data["residency"] = {"jurisdictions": ["BR", rng.choice(COUNTRIES[1:4])]}
    elif rng.random() < 0.3:
        data["export"] = {"forbidden": rng.sample(COUNTRIES[4:], 2)}
    data["odrl"] = _odrl(rng)
    return data


def _odrl(rng: random.Random) -> dict[str, Any]:
    prohibitions: list[dict[str, Any]] = []
    permissions: list[dict[str, Any]] = []
    if rng.random() < 0.4:
        spatial = {"left_operand": "spatial", "operator": "isAnyOf", "right_operand": ["KP", "IN"]}
        prohibitions.append({"action": "use", "constraints": [spatial]})
    if rng.random() < 0.2:
        prohibitions.append({"action": rng.choice(["commercialize", "reproduce", "distribute"])})
    if rng.random() < 0.3:
        constraints = [
            {
                "left_operand": "dateTime",
                "operator": "gteq",
                "right_operand": "2025-01-01T00:00:00Z",
            },
            {"left_operand": "count", "operator": "lteq", "right_operand": rng.randint(1, 3)},
        ]
        if rng.random() < 0.5:
            recipient = {
                "left_operand": "recipient",
                "operator": "isAnyOf",
                "right_operand": [ORGS[0]],
            }
            constraints.append(recipient)
        permissions.append({"action": "use", "constraints": constraints})
    return {"permissions": permissions, "prohibitions": prohibitions}


FITTING = {
    "NRES": CATEGORIES,
    "GRU": CATEGORIES,
    "HMB": [Duo.HMB, Duo.DS],
    "DS": [Duo.DS],
    "POA": [Duo.POA],
}
"""Purposes each permission admits; most requests of the workload ask for one of these."""
CHILDREN = {
    "MONDO:0004992": "MONDO:0007254",
    "MONDO:0005015": "MONDO:0005148",
    "MONDO:0005550": "MONDO:0005136",
    "MONDO:0004975": "MONDO:0004975",
}


def requests(count: int, documents: list[dict[str, Any]], seed: int) -> list[Request]:
    """Requests over ``documents``: most fit the agreement's purpose, many meet its conditions."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        index = rng.randrange(len(documents))
        out.append(_request(rng, index, documents[index]["duo"]))
    return out


def _request(rng: random.Random, agreement: int, duo: dict[str, Any]) -> Request:
    fitting = rng.random() < 0.8
    category = rng.choice(FITTING[duo["permission"]] if fitting else CATEGORIES)
    diseases: frozenset[str] = frozenset()
    if category == Duo.DS:
        consented = duo.get("diseases")
        disease = (
            CHILDREN[rng.choice(consented)]
            if consented and fitting
            else rng.choice(REQUEST_DISEASES)
        )
        diseases = frozenset({disease})
    held = rng.choice(["never-expires", "expired", "valid", "valid", "valid", "missing"])
    expiries = {"never-expires": None, "expired": NOW - timedelta(days=10)}
    expiry = expiries.get(held, NOW + timedelta(days=1000))
    accreditations = () if held == "missing" else (Accreditation("researcher", expiry),)
    sanctioned = rng.random() < 0.02
    sanctions = (Sanction("sn_1", NOW - timedelta(days=1)),) if sanctioned else ()
    requester = Requester(
        country=rng.choice(COUNTRIES),
        user=None if rng.random() < 0.05 else "usr_1",
        organisation=rng.choice([*ORGS, None]),
        organisation_kind=rng.choice([*OrganisationKind, OrganisationKind.NOT_FOR_PROFIT]),
        accreditations=accreditations,
        sanctions=sanctions,
    )
    purpose = Purpose(
        categories=frozenset({category}),
        diseases=diseases,
        commercial=rng.random() < 0.1,
        ethics_approval=rng.random() < 0.85,
    )
    context = Context(
        requester=requester,
        purpose=purpose,
        mode=rng.choice([Mode.DOWNLOAD, Mode.DOWNLOAD, Mode.SANDBOX]),
        duration=Duration(days=rng.choice(DAYS)),
        now=NOW,
        node_country=NODE_COUNTRY,
        prior_uses=rng.randint(0, 2),
    )
    return Request(agreement, context, sanctioned)

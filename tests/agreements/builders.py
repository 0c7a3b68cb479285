"""Small builders for agreements and request contexts used across the agreements tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from accord.agreements.compiled import CompiledAgreement, compile_agreement
from accord.agreements.context import (
    Accreditation,
    Context,
    OrganisationKind,
    Requester,
    Sanction,
    purpose_from_codes,
)
from accord.agreements.decision import Mode
from accord.agreements.durations import Duration
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import parse_agreement

NOW = datetime(2025, 6, 1, tzinfo=UTC)
ORG_A = "05gq02987"
ORG_B = "01ggx4t79"
CANCER = "MONDO:0004992"
BREAST_CANCER = "MONDO:0007254"
ALZHEIMER = "MONDO:0004975"
DIABETES = "MONDO:0005015"
TYPE_2_DIABETES = "MONDO:0005148"

BASE: dict[str, Any] = {
    "title": "Test agreement",
    "tier": "registered",
    "licence": "CC-BY-4.0",
    "duo": {"permission": "GRU"},
}


def agreement(**sections: Any) -> CompiledAgreement:
    """A compiled agreement: ``BASE`` with the given top-level sections replaced."""
    return compile_agreement(parse_agreement(document_data(**sections)))


def document_data(**sections: Any) -> dict[str, Any]:
    return {**BASE, **sections}


def context(
    *,
    purpose: Iterable[str] = ("HMB",),
    diseases: Iterable[str] = (),
    commercial: bool = False,
    ethics_approval: bool = False,
    project: str | None = None,
    country: str = "BR",
    user: str | None = "usr_1",
    organisation: str | None = ORG_A,
    organisation_kind: OrganisationKind = OrganisationKind.NOT_FOR_PROFIT,
    accreditations: Iterable[Accreditation] = (),
    sanctions: Iterable[Sanction] = (),
    mode: Mode = Mode.DOWNLOAD,
    duration: str = "P90D",
    now: datetime = NOW,
    node_country: str = "BR",
    prior_uses: int = 0,
) -> Context:
    vocab = default_vocabulary()
    return Context(
        requester=Requester(
            country=country,
            user=user,
            organisation=organisation,
            organisation_kind=organisation_kind,
            accreditations=tuple(accreditations),
            sanctions=tuple(sanctions),
        ),
        purpose=purpose_from_codes(
            purpose,
            vocab,
            diseases=diseases,
            commercial=commercial,
            ethics_approval=ethics_approval,
            project=project,
        ),
        mode=mode,
        duration=Duration.parse(duration),
        now=now,
        node_country=node_country,
        prior_uses=prior_uses,
    )


def constraint(left: str, operator: str, right: Any) -> Mapping[str, Any]:
    return {"left_operand": left, "operator": operator, "right_operand": right}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)

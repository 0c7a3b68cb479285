"""The policy engine as a table: one row per rule, with its expected outcome, mode and reasons.

Rows cover every DUO permission and modifier, each ODRL constraint kind, residency and export
(including the sandbox-only outcome), tiers, accreditation expiry, sanctions and combinations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from accord.agreements.compiled import compile_agreement
from accord.agreements.context import Accreditation, OrganisationKind, Sanction
from accord.agreements.decision import Effect, Mode, Outcome
from accord.agreements.engine import evaluate
from accord.agreements.templates import load_template
from tests.agreements.builders import (
    ALZHEIMER,
    BREAST_CANCER,
    CANCER,
    DIABETES,
    NOW,
    ORG_A,
    ORG_B,
    TYPE_2_DIABETES,
    agreement,
    at,
    constraint,
    context,
)

PERMIT, REFER, DENY = Outcome.PERMIT, Outcome.REFER, Outcome.DENY
DOWNLOAD, SANDBOX, NONE = Mode.DOWNLOAD, Mode.SANDBOX, Mode.NONE
RESEARCHER = Accreditation("researcher", NOW + timedelta(days=365))


@dataclass(frozen=True)
class Case:
    id: str
    sections: dict[str, Any]
    request: dict[str, Any]
    outcome: Outcome
    mode: Mode
    codes: frozenset[str]
    obligations: frozenset[str] = field(default_factory=frozenset)


def case(
    id: str,
    sections: dict[str, Any],
    request: dict[str, Any],
    outcome: Outcome,
    mode: Mode,
    *codes: str,
    obligations: tuple[str, ...] = (),
) -> Case:
    return Case(id, sections, request, outcome, mode, frozenset(codes), frozenset(obligations))


def duo(permission: str, *modifiers: Any, diseases: tuple[str, ...] = ()) -> dict[str, Any]:
    section: dict[str, Any] = {"permission": permission, "modifiers": list(modifiers)}
    if diseases:
        section["diseases"] = list(diseases)
    return {"duo": section}


def odrl(**rules: Any) -> dict[str, Any]:
    return {"odrl": rules}


WITHIN = "duo.purpose-within-consent"
OUTSIDE = "duo.purpose-outside-consent"

CASES = [
    # DUO data-use permissions
    case("nres-admits-poa", duo("NRES"), {"purpose": ["POA"]}, PERMIT, DOWNLOAD, WITHIN),
    case("nres-admits-unstated", duo("NRES"), {"purpose": []}, PERMIT, DOWNLOAD, WITHIN),
    case("gru-admits-hmb", duo("GRU"), {"purpose": ["HMB"]}, PERMIT, DOWNLOAD, WITHIN),
    case(
        "gru-admits-ds",
        duo("GRU"),
        {"purpose": ["DS"], "diseases": [CANCER]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case("gru-admits-poa", duo("GRU"), {"purpose": ["POA"]}, PERMIT, DOWNLOAD, WITHIN),
    case("gru-admits-gru", duo("GRU"), {"purpose": ["GRU"]}, PERMIT, DOWNLOAD, WITHIN),
    case("gru-needs-purpose", duo("GRU"), {"purpose": []}, DENY, NONE, "duo.purpose-missing"),
    case("hmb-admits-hmb", duo("HMB"), {"purpose": ["HMB"]}, PERMIT, DOWNLOAD, WITHIN),
    case(
        "hmb-admits-ds",
        duo("HMB"),
        {"purpose": ["DS"], "diseases": [BREAST_CANCER]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case("hmb-refuses-poa", duo("HMB"), {"purpose": ["POA"]}, DENY, NONE, OUTSIDE),
    case("hmb-refuses-gru", duo("HMB"), {"purpose": ["GRU"]}, DENY, NONE, OUTSIDE),
    case(
        "ds-admits-descendant",
        duo("DS", diseases=(CANCER,)),
        {"purpose": ["DS"], "diseases": [BREAST_CANCER]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case(
        "ds-admits-same-disease",
        duo("DS", diseases=(CANCER,)),
        {"purpose": ["DS"], "diseases": [CANCER]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case(
        "ds-refuses-other-disease",
        duo("DS", diseases=(CANCER,)),
        {"purpose": ["DS"], "diseases": [ALZHEIMER]},
        DENY,
        NONE,
        "duo.disease-outside-consent",
    ),
    case(
        "ds-needs-disease",
        duo("DS", diseases=(CANCER,)),
        {"purpose": ["DS"]},
        DENY,
        NONE,
        "duo.disease-outside-consent",
    ),
    case(
        "ds-refuses-hmb", duo("DS", diseases=(CANCER,)), {"purpose": ["HMB"]}, DENY, NONE, OUTSIDE
    ),
    case(
        "ds-any-of-two-diseases",
        duo("DS", diseases=(CANCER, DIABETES)),
        {"purpose": ["DS"], "diseases": [TYPE_2_DIABETES]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case(
        "ds-ancestor-is-not-enough",
        duo("DS", diseases=(BREAST_CANCER,)),
        {"purpose": ["DS"], "diseases": [CANCER]},
        DENY,
        NONE,
        "duo.disease-outside-consent",
    ),
    case("poa-admits-poa", duo("POA"), {"purpose": ["POA"]}, PERMIT, DOWNLOAD, WITHIN),
    case("poa-refuses-hmb", duo("POA"), {"purpose": ["HMB"]}, DENY, NONE, OUTSIDE),
    case(
        "clinical-care-needs-cc",
        duo("GRU"),
        {"purpose": ["HMB", "CC"]},
        DENY,
        NONE,
        "duo.clinical-care-not-consented",
    ),
    case(
        "clinical-care-with-cc",
        duo("GRU", "CC"),
        {"purpose": ["HMB", "CC"]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    # DUO modifiers
    case(
        "ncu-refuses-commercial",
        duo("GRU", "NCU"),
        {"commercial": True},
        DENY,
        NONE,
        "duo.ncu-not-met",
    ),
    case("ncu-admits-non-commercial", duo("GRU", "NCU"), {}, PERMIT, DOWNLOAD, "duo.ncu-satisfied"),
    case(
        "npu-refuses-for-profit",
        duo("GRU", "NPU"),
        {"organisation_kind": OrganisationKind.FOR_PROFIT},
        DENY,
        NONE,
        "duo.npu-for-profit",
    ),
    case(
        "npu-refers-unknown-organisation",
        duo("GRU", "NPU"),
        {"organisation_kind": OrganisationKind.UNKNOWN},
        REFER,
        DOWNLOAD,
        "duo.npu-unknown-organisation",
    ),
    case("npu-admits-not-for-profit", duo("GRU", "NPU"), {}, PERMIT, DOWNLOAD, "duo.npu-satisfied"),
    case(
        "npuncu-refuses-commercial",
        duo("GRU", "NPUNCU"),
        {"commercial": True},
        DENY,
        NONE,
        "duo.ncu-not-met",
    ),
    case(
        "npuncu-refuses-for-profit",
        duo("GRU", "NPUNCU"),
        {"organisation_kind": OrganisationKind.FOR_PROFIT},
        DENY,
        NONE,
        "duo.npu-for-profit",
    ),
    case("irb-needs-approval", duo("HMB", "IRB"), {}, DENY, NONE, "duo.irb-not-met"),
    case(
        "irb-with-approval",
        duo("HMB", "IRB"),
        {"ethics_approval": True},
        PERMIT,
        DOWNLOAD,
        "duo.irb-satisfied",
    ),
    case(
        "gs-refuses-outside",
        duo("GRU", {"code": "GS", "countries": ["BR"]}),
        {"country": "PT"},
        DENY,
        NONE,
        "duo.gs-not-met",
    ),
    case(
        "gs-group-admits-member",
        duo("GRU", {"code": "GS", "countries": ["EU"]}),
        {"country": "PT", "node_country": "PT"},
        PERMIT,
        DOWNLOAD,
        "duo.gs-satisfied",
    ),
    case(
        "pub-is-a-duty", duo("GRU", "PUB"), {}, PERMIT, DOWNLOAD, WITHIN, obligations=("duo.pub",)
    ),
    case(
        "col-is-a-duty", duo("GRU", "COL"), {}, PERMIT, DOWNLOAD, WITHIN, obligations=("duo.col",)
    ),
    case(
        "rtn-is-a-duty", duo("GRU", "RTN"), {}, PERMIT, DOWNLOAD, WITHIN, obligations=("duo.rtn",)
    ),
    case(
        "ts-refuses-longer-use",
        duo("GRU", {"code": "TS", "months": 6}),
        {"duration": "P1Y"},
        DENY,
        NONE,
        "duo.ts-not-met",
    ),
    case(
        "ts-admits-shorter-use",
        duo("GRU", {"code": "TS", "months": 12}),
        {"duration": "P1Y"},
        PERMIT,
        DOWNLOAD,
        "duo.ts-satisfied",
        obligations=("duo.ts",),
    ),
    case(
        "us-refers-unlisted-user",
        duo("GRU", {"code": "US", "users": ["usr_1"]}),
        {"user": "usr_2"},
        REFER,
        DOWNLOAD,
        "duo.us-not-met",
    ),
    case(
        "us-admits-listed-user",
        duo("GRU", {"code": "US", "users": ["usr_1"]}),
        {},
        PERMIT,
        DOWNLOAD,
        "duo.us-satisfied",
    ),
    case(
        "ps-refers-other-project",
        duo("GRU", {"code": "PS", "projects": ["proj-a"]}),
        {"project": "proj-b"},
        REFER,
        DOWNLOAD,
        "duo.ps-not-met",
    ),
    case(
        "ps-admits-approved-project",
        duo("GRU", {"code": "PS", "projects": ["proj-a"]}),
        {"project": "proj-a"},
        PERMIT,
        DOWNLOAD,
        "duo.ps-satisfied",
    ),
    case(
        "is-refuses-other-institution",
        duo("GRU", {"code": "IS", "institutions": [ORG_A]}),
        {"organisation": ORG_B},
        DENY,
        NONE,
        "duo.is-not-met",
    ),
    case(
        "is-admits-institution",
        duo("GRU", {"code": "IS", "institutions": [ORG_A]}),
        {},
        PERMIT,
        DOWNLOAD,
        "duo.is-satisfied",
    ),
    case(
        "mor-is-a-duty",
        duo("GRU", {"code": "MOR", "until": "2026-01-01"}),
        {},
        PERMIT,
        DOWNLOAD,
        WITHIN,
        obligations=("duo.mor",),
    ),
    case(
        "npoa-refuses-poa", duo("GRU", "NPOA"), {"purpose": ["POA"]}, DENY, NONE, "duo.npoa-not-met"
    ),
    case(
        "npoa-refuses-ancestry-research",
        duo("GRU", "NPOA"),
        {"purpose": ["HMB", "DUO:0000033"]},
        DENY,
        NONE,
        "duo.npoa-not-met",
    ),
    case("npoa-admits-hmb", duo("GRU", "NPOA"), {}, PERMIT, DOWNLOAD, "duo.npoa-satisfied"),
    case(
        "rs-admits-research-type",
        duo("GRU", {"code": "RS", "research_types": ["DUO:0000038"]}),
        {"purpose": ["HMB", "DUO:0000038"]},
        PERMIT,
        DOWNLOAD,
        "duo.rs-satisfied",
    ),
    case(
        "rs-needs-research-type",
        duo("GRU", {"code": "RS", "research_types": ["DUO:0000038"]}),
        {},
        DENY,
        NONE,
        "duo.rs-not-met",
    ),
    case(
        "gso-admits-genetic",
        duo("GRU", "GSO"),
        {"purpose": ["HMB", "DUO:0000038"]},
        PERMIT,
        DOWNLOAD,
        "duo.gso-satisfied",
    ),
    case(
        "gso-refuses-other",
        duo("GRU", "GSO"),
        {"purpose": ["HMB", "DUO:0000031"]},
        DENY,
        NONE,
        "duo.gso-not-met",
    ),
    case(
        "nmds-refuses-methods",
        duo("GRU", "NMDS"),
        {"purpose": ["GRU", "DUO:0000031"]},
        DENY,
        NONE,
        "duo.nmds-not-met",
    ),
    case(
        "nmds-admits-genetic",
        duo("GRU", "NMDS"),
        {"purpose": ["HMB", "DUO:0000038"]},
        PERMIT,
        DOWNLOAD,
        "duo.nmds-satisfied",
    ),
    # ODRL constraints
    case(
        "odrl-purpose-prohibition",
        odrl(
            prohibitions=[{"action": "use", "constraints": [constraint("purpose", "isA", "POA")]}]
        ),
        {"purpose": ["POA"]},
        DENY,
        NONE,
        "odrl.prohibited",
    ),
    case(
        "odrl-purpose-prohibition-fires-on-broader-purpose",
        odrl(
            prohibitions=[{"action": "use", "constraints": [constraint("purpose", "isA", "HMB")]}]
        ),
        {"purpose": ["GRU"]},
        DENY,
        NONE,
        "odrl.prohibited",
    ),
    case(
        "odrl-purpose-prohibition-spares-other-purpose",
        odrl(
            prohibitions=[{"action": "use", "constraints": [constraint("purpose", "isA", "POA")]}]
        ),
        {"purpose": ["HMB"]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case(
        "odrl-purpose-permission-narrower",
        odrl(permissions=[{"action": "use", "constraints": [constraint("purpose", "isA", "HMB")]}]),
        {"purpose": ["DS"], "diseases": [CANCER]},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-purpose-permission-broader-refused",
        odrl(permissions=[{"action": "use", "constraints": [constraint("purpose", "isA", "HMB")]}]),
        {"purpose": ["GRU"]},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    case(
        "odrl-purpose-none-of",
        odrl(
            permissions=[
                {"action": "use", "constraints": [constraint("purpose", "isNoneOf", ["POA"])]}
            ]
        ),
        {"purpose": ["HMB"]},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-spatial-prohibition",
        odrl(
            prohibitions=[
                {"action": "use", "constraints": [constraint("spatial", "isAnyOf", ["KP"])]}
            ]
        ),
        {"country": "KP"},
        DENY,
        NONE,
        "odrl.prohibited",
    ),
    case(
        "odrl-spatial-permission-refused",
        odrl(permissions=[{"action": "use", "constraints": [constraint("spatial", "eq", "BR")]}]),
        {"country": "PT"},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    case(
        "odrl-spatial-permission-met",
        odrl(permissions=[{"action": "use", "constraints": [constraint("spatial", "eq", "BR")]}]),
        {},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-recipient-permission",
        odrl(
            permissions=[
                {"action": "use", "constraints": [constraint("recipient", "isAnyOf", [ORG_A])]}
            ]
        ),
        {},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-recipient-prohibition",
        odrl(
            prohibitions=[{"action": "use", "constraints": [constraint("recipient", "eq", ORG_B)]}]
        ),
        {"organisation": ORG_B},
        DENY,
        NONE,
        "odrl.prohibited",
    ),
    case(
        "odrl-datetime-expired",
        odrl(
            permissions=[
                {
                    "action": "use",
                    "constraints": [constraint("dateTime", "lt", "2025-01-01T00:00:00Z")],
                }
            ]
        ),
        {},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    case(
        "odrl-datetime-started",
        odrl(
            permissions=[
                {
                    "action": "use",
                    "constraints": [constraint("dateTime", "gteq", "2025-01-01T00:00:00Z")],
                }
            ]
        ),
        {},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-elapsed-time-too-long",
        odrl(
            permissions=[
                {"action": "use", "constraints": [constraint("elapsedTime", "lteq", "P30D")]}
            ]
        ),
        {"duration": "P90D"},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    case(
        "odrl-elapsed-time-within",
        odrl(
            permissions=[
                {"action": "use", "constraints": [constraint("elapsedTime", "lteq", "P6M")]}
            ]
        ),
        {"duration": "P90D"},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-count-used-up",
        odrl(permissions=[{"action": "use", "constraints": [constraint("count", "lteq", 3)]}]),
        {"prior_uses": 3},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    case(
        "odrl-count-left",
        odrl(permissions=[{"action": "use", "constraints": [constraint("count", "lteq", 3)]}]),
        {"prior_uses": 2},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
    ),
    case(
        "odrl-commercialize-prohibited",
        odrl(prohibitions=[{"action": "commercialize"}]),
        {"commercial": True},
        DENY,
        NONE,
        "odrl.prohibited",
    ),
    case(
        "odrl-commercialize-prohibition-is-a-duty-otherwise",
        odrl(prohibitions=[{"action": "commercialize"}]),
        {},
        PERMIT,
        DOWNLOAD,
        WITHIN,
        obligations=("odrl.prohibited",),
    ),
    case(
        "odrl-reproduce-prohibited-means-sandbox",
        odrl(prohibitions=[{"action": "reproduce"}]),
        {},
        PERMIT,
        SANDBOX,
        "odrl.reproduce-prohibited",
    ),
    case(
        "odrl-distribute-prohibited-is-a-duty",
        odrl(prohibitions=[{"action": "distribute"}]),
        {},
        PERMIT,
        DOWNLOAD,
        WITHIN,
        obligations=("odrl.prohibited",),
    ),
    case(
        "odrl-permission-duty",
        odrl(permissions=[{"action": "use", "duties": [{"action": "attribute"}]}]),
        {},
        PERMIT,
        DOWNLOAD,
        "odrl.permitted",
        obligations=("odrl.duty.attribute",),
    ),
    case(
        "odrl-permission-for-another-action-only",
        odrl(permissions=[{"action": "derive"}]),
        {},
        DENY,
        NONE,
        "odrl.use-not-permitted",
    ),
    # residency and export
    case(
        "residency-outside-means-sandbox",
        {"residency": {"jurisdictions": ["BR"]}},
        {"country": "PT"},
        PERMIT,
        SANDBOX,
        "residency.sandbox-only",
        "residency.node-inside",
    ),
    case(
        "residency-inside-downloads",
        {"residency": {"jurisdictions": ["BR"]}},
        {},
        PERMIT,
        DOWNLOAD,
        "export.allowed",
    ),
    case(
        "export-forbidden-means-sandbox",
        {"export": {"forbidden": ["US"]}},
        {"country": "US"},
        PERMIT,
        SANDBOX,
        "export.forbidden.sandbox-only",
    ),
    case(
        "export-not-allowed-means-sandbox",
        {"export": {"allowed": ["BR", "PT"]}},
        {"country": "DE"},
        PERMIT,
        SANDBOX,
        "export.not-allowed.sandbox-only",
    ),
    case(
        "export-allowed-group",
        {"export": {"allowed": ["EU"]}},
        {"country": "DE"},
        PERMIT,
        DOWNLOAD,
        "export.allowed",
    ),
    case(
        "residency-node-outside-denies-sandbox",
        {"residency": {"jurisdictions": ["BR"]}},
        {"country": "US", "node_country": "PT"},
        DENY,
        NONE,
        "residency.node-outside",
    ),
    case(
        "export-control-duty-on-download",
        {"export": {"control_classification": "5D002"}},
        {},
        PERMIT,
        DOWNLOAD,
        "export.allowed",
        obligations=("export.controlled",),
    ),
    case("sandbox-when-asked", {}, {"mode": SANDBOX}, PERMIT, SANDBOX, "residency.node-inside"),
    # tiers and committee
    case(
        "restricted-is-sandbox-and-reviewed",
        {"tier": "restricted", "committee": {"name": "DAC"}},
        {},
        REFER,
        SANDBOX,
        "tier.restricted",
        "committee.review",
    ),
    case(
        "controlled-is-reviewed",
        {"tier": "controlled", "committee": {"name": "DAC"}},
        {},
        REFER,
        DOWNLOAD,
        "committee.review",
    ),
    case(
        "controlled-exceptions-only",
        {"tier": "controlled", "committee": {"name": "DAC", "review": "exceptions"}},
        {},
        PERMIT,
        DOWNLOAD,
        "committee.exceptions-only",
    ),
    case("registered-needs-sign-in", {}, {"user": None}, DENY, NONE, "tier.sign-in-required"),
    case(
        "open-is-for-anyone",
        {"tier": "open", "duo": {"permission": "NRES"}},
        {"user": None},
        PERMIT,
        DOWNLOAD,
        "tier.open",
    ),
    # accreditations
    case(
        "accreditation-missing",
        {"accreditations": ["researcher"]},
        {},
        DENY,
        NONE,
        "accreditation.missing",
    ),
    case(
        "accreditation-expired",
        {"accreditations": ["researcher"]},
        {"accreditations": [Accreditation("researcher", NOW - timedelta(days=1))]},
        DENY,
        NONE,
        "accreditation.expired",
    ),
    case(
        "accreditation-expires-at-now",
        {"accreditations": ["researcher"]},
        {"accreditations": [Accreditation("researcher", NOW)]},
        DENY,
        NONE,
        "accreditation.expired",
    ),
    case(
        "accreditation-held",
        {"accreditations": ["researcher"]},
        {"accreditations": [RESEARCHER]},
        PERMIT,
        DOWNLOAD,
        "accreditation.held",
    ),
    case(
        "accreditation-expires-during-grant",
        {"accreditations": ["researcher"]},
        {"accreditations": [Accreditation("researcher", NOW + timedelta(days=30))]},
        PERMIT,
        DOWNLOAD,
        "accreditation.held",
        obligations=("accreditation.renew",),
    ),
    case(
        "accreditation-without-expiry",
        {"accreditations": ["researcher"]},
        {"accreditations": [Accreditation("researcher", None)]},
        PERMIT,
        DOWNLOAD,
        "accreditation.held",
    ),
    case(
        "accreditation-of-another-kind",
        {"accreditations": ["researcher"]},
        {"accreditations": [Accreditation("clinician", None)]},
        DENY,
        NONE,
        "accreditation.missing",
    ),
    # sanctions
    case(
        "sanction-in-force",
        {},
        {"sanctions": [Sanction("sn_1", NOW - timedelta(days=1), NOW + timedelta(days=30))]},
        DENY,
        NONE,
        "sanction.in-force",
    ),
    case(
        "sanction-open-ended",
        {"tier": "open", "duo": {"permission": "NRES"}},
        {"sanctions": [Sanction("sn_1", NOW - timedelta(days=1))]},
        DENY,
        NONE,
        "sanction.in-force",
    ),
    case(
        "sanction-ended",
        {},
        {"sanctions": [Sanction("sn_1", NOW - timedelta(days=60), NOW - timedelta(days=1))]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    case(
        "sanction-not-yet-started",
        {},
        {"sanctions": [Sanction("sn_1", NOW + timedelta(days=1))]},
        PERMIT,
        DOWNLOAD,
        WITHIN,
    ),
    # duration
    case(
        "duration-over-maximum",
        {"max_grant_duration": "P1Y"},
        {"duration": "P2Y"},
        DENY,
        NONE,
        "duration.exceeds-maximum",
    ),
    case(
        "duration-at-maximum",
        {"max_grant_duration": "P1Y"},
        {"duration": "P1Y"},
        PERMIT,
        DOWNLOAD,
        "duration.within-maximum",
    ),
    case(
        "duration-months-against-days",
        {"max_grant_duration": "P1M"},
        {"duration": "P31D"},
        DENY,
        NONE,
        "duration.exceeds-maximum",
    ),
    # combinations
    case(
        "deny-overrides-refer",
        {"tier": "controlled", "committee": {"name": "DAC"}, **duo("HMB", "NCU")},
        {"commercial": True},
        DENY,
        NONE,
        "duo.ncu-not-met",
        "committee.review",
    ),
    case(
        "several-denials-all-reported",
        {"accreditations": ["researcher"], **duo("HMB", "IRB")},
        {"purpose": ["POA"]},
        DENY,
        NONE,
        "accreditation.missing",
        OUTSIDE,
        "duo.irb-not-met",
    ),
    case(
        "sandbox-and-refer-together",
        {
            "tier": "controlled",
            "committee": {"name": "DAC"},
            "residency": {"jurisdictions": ["BR"]},
            **duo("GRU", "NPU"),
        },
        {"country": "KE", "organisation_kind": OrganisationKind.UNKNOWN},
        REFER,
        SANDBOX,
        "residency.sandbox-only",
        "duo.npu-unknown-organisation",
        "committee.review",
    ),
    case(
        "odrl-and-duo-both-refuse",
        {**duo("GRU", "NCU"), **odrl(prohibitions=[{"action": "commercialize"}])},
        {"commercial": True},
        DENY,
        NONE,
        "duo.ncu-not-met",
        "odrl.prohibited",
    ),
]


@pytest.mark.parametrize("row", CASES, ids=[row.id for row in CASES])
def test_decision(row: Case) -> None:
    decision = evaluate(agreement(**row.sections), context(**row.request))

    assert (decision.outcome, decision.mode) == (row.outcome, row.mode)
    assert row.codes <= decision.codes(), [r.code for r in decision.reasons]
    assert row.obligations <= {o.code for o in decision.obligations}
    for reason in decision.reasons:
        assert reason.text
        assert reason.clause.ref
    if row.outcome is DENY:
        assert decision.obligations == ()
        denying = {r.code for r in decision.reasons if r.effect is Effect.DENY}
        assert denying == {r.code for r in decision.deciding_reasons()}
        assert denying & row.codes


def test_table_covers_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert len({row.id for row in CASES}) == len(CASES)


def test_reasons_cite_the_modifier_that_produced_them() -> None:
    compiled = agreement(**duo("GRU", "PUB", "NCU", "NPU"))
    decision = evaluate(compiled, context(commercial=True))

    [reason] = [r for r in decision.reasons if r.code == "duo.ncu-not-met"]
    assert reason.clause.as_json() == {
        "kind": "duo",
        "ref": "duo.modifiers[1]",
        "term": "DUO:0000046",
    }
    assert "non-commercial" in reason.text


def test_controlled_health_template_end_to_end() -> None:
    compiled = compile_agreement(load_template("controlled-health"))
    request = context(ethics_approval=True, accreditations=[RESEARCHER], duration="P6M")

    decision = evaluate(compiled, request)

    assert (decision.outcome, decision.mode) == (REFER, DOWNLOAD)
    assert {"duty.cite", "duty.report-publications", "duty.delete-after-use", "licence"} <= {
        o.code for o in decision.obligations
    }


def test_localised_template_sends_others_to_the_sandbox() -> None:
    compiled = compile_agreement(load_template("localised"))
    request = context(country="DE", accreditations=[RESEARCHER])

    decision = evaluate(compiled, request)

    assert (decision.outcome, decision.mode) == (PERMIT, SANDBOX)
    assert "residency.sandbox-only" in decision.codes()


def test_evaluation_is_deterministic() -> None:
    compiled = agreement(**duo("HMB", "IRB", "NPU"), residency={"jurisdictions": ["PT"]})
    request = context(ethics_approval=True)

    assert evaluate(compiled, request) == evaluate(compiled, request)


def test_compiling_the_same_document_twice_reuses_the_compiled_agreement() -> None:
    assert agreement(**duo("HMB")) is agreement(**duo("HMB"))


def test_decision_json_is_the_machine_form() -> None:
    decision = evaluate(agreement(), context(purpose=["POA"], country="PT", node_country="PT"))

    data = decision.as_json()

    assert data["outcome"] == "permit"
    assert data["mode"] == "download"
    assert {"effect", "code", "clause", "text", "params"} <= data["reasons"][0].keys()


def test_dates_are_compared_on_the_calendar() -> None:
    compiled = agreement(max_grant_duration="P1M")

    in_february = evaluate(compiled, context(duration="P28D", now=at("2025-02-01T00:00:00")))
    in_march = evaluate(compiled, context(duration="P31D", now=at("2025-03-01T00:00:00")))
    too_long = evaluate(compiled, context(duration="P29D", now=at("2025-02-01T00:00:00")))

    assert in_february.outcome is PERMIT
    assert in_march.outcome is PERMIT
    assert too_long.outcome is DENY

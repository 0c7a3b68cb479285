"""The published risk rules, table-driven: each assessment gives a tier, mode, safeguards and
the rules that produced them (the rules the node ships, ``governance/data/risk-rules.json``)."""

from __future__ import annotations

from typing import Any

import pytest

from accord.errors import InvalidInput
from accord.governance.assessment import Assessment
from accord.governance.rules import default_rules, parse_rules, recommend

CASES: list[tuple[str, dict[str, Any], str, str, set[str], list[str]]] = [
    # name, assessment, tier, mode, safeguards (subset), rules that fired (in order)
    ("nothing sensitive", {}, "open", "download", set(), []),
    (
        "personal, low risk",
        {"categories": ["personal"]},
        "registered",
        "download",
        {"data-use-agreement"},
        ["personal-data"],
    ),
    (
        "personal, medium risk, not de-identified",
        {"categories": ["personal"], "reidentification_risk": "medium"},
        "controlled",
        "download",
        {"data-use-agreement", "committee-review", "de-identify-before-release"},
        ["personal-data", "identifiable"],
    ),
    (
        "personal, medium risk, de-identified",
        {
            "categories": ["personal"],
            "reidentification_risk": "medium",
            "mitigations": ["de-identified"],
        },
        "registered",
        "download",
        {"data-use-agreement"},
        ["personal-data"],
    ),
    (
        "health data",
        {"categories": ["health"]},
        "controlled",
        "download",
        {"committee-review", "ethics-approval"},
        ["personal-data", "special-categories"],
    ),
    (
        "genomic, high re-identification risk",
        {"categories": ["genomic"], "reidentification_risk": "high"},
        "restricted",
        "sandbox",
        {"output-checking", "committee-review"},
        ["personal-data", "special-categories", "identifiable", "highly-identifiable"],
    ),
    (
        "severe harm only",
        {"harm_if_misused": "high"},
        "controlled",
        "download",
        {"committee-review", "breach-reporting-duty"},
        ["severe-harm"],
    ),
    (
        "commercially confidential",
        {"categories": ["commercially-confidential"]},
        "controlled",
        "download",
        {"confidentiality-clause"},
        ["commercial"],
    ),
    (
        "dual-use",
        {"categories": ["security-relevant"]},
        "restricted",
        "sandbox",
        {"export-control-screening", "output-checking"},
        ["dual-use"],
    ),
    (
        "export control, nothing else",
        {"export_control": True},
        "controlled",
        "sandbox",
        {"export-control-screening"},
        ["export-controlled"],
    ),
    (
        "location, aggregated only, medium risk",
        {
            "categories": ["location"],
            "reidentification_risk": "medium",
            "mitigations": ["aggregated-only", "de-identified"],
        },
        "registered",
        "download",
        {"disclosure-control", "data-use-agreement"},
        ["personal-data", "aggregate-only"],
    ),
]


def _assessment(fields: dict[str, Any]) -> Assessment:
    return Assessment.model_validate(
        {"reidentification_risk": "low", "harm_if_misused": "low", **fields}
    )


@pytest.mark.parametrize(
    ("name", "fields", "tier", "mode", "safeguards", "fired"), CASES, ids=[c[0] for c in CASES]
)
def test_assessment_gives_recommendation_with_reasons(
    name: str, fields: dict[str, Any], tier: str, mode: str, safeguards: set[str], fired: list[str]
) -> None:
    advice = recommend(_assessment(fields), default_rules())
    assert (advice.tier.value, advice.mode.value) == (tier, mode), name
    assert safeguards <= set(advice.safeguards)
    assert [r.rule for r in advice.reasons] == fired
    assert all(r.because for r in advice.reasons)
    assert advice.rules_version == default_rules().version


def test_restricted_always_means_sandbox() -> None:
    rules = parse_rules(
        '{"format": 1, "version": "t", "rules": [{"id": "r", "when": {"harm_at_least": "low"},'
        ' "then": {"tier_at_least": "restricted"}, "because": "test"}]}'
    )
    advice = recommend(_assessment({}), rules)
    assert (advice.tier.value, advice.mode.value) == ("restricted", "sandbox")


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ('{"format": 2, "version": "x", "rules": []}', "format"),
        ('{"format": 1, "version": "x", "rules": [{"id": "a"}]}', "rules.0.when"),
        (
            '{"format": 1, "version": "x", "rules": [{"id": "a", "when": {"harm_at_least": "huge"},'
            ' "then": {}, "because": "b"}]}',
            "rules.0.when.harm_at_least",
        ),
        ("not json", "document"),
    ],
)
def test_malformed_rules_are_refused_naming_the_field(text: str, location: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rules(text)
    assert caught.value.code == "governance.invalid-rules"
    assert location in [e.location for e in caught.value.errors]

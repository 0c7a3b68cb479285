"""The published risk rules (policy as data) and the pure function that applies them.

A rules document lists rules; each has conditions (``when``: all must hold) and effects
(``then``): a tier the data must at least have, the sandbox mode, safeguards. The recommendation
is the strictest tier and mode any matching rule asks for, the union of their safeguards, and
one reason per matching rule naming it. Nothing here reads a session, a clock or a file except
``default_rules`` (the rules shipped with the node, used until the node adopts its own through
a consultation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from accord.errors import FieldError, InvalidInput
from accord.governance.assessment import Assessment, Category, Level, Mitigation, Mode, Tier

DEFAULT_RULES = Path(__file__).parent / "data" / "risk-rules.json"
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
Safeguard = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]


class When(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    categories_any: list[Category] = Field(default_factory=list)
    reidentification_at_least: Level | None = None
    harm_at_least: Level | None = None
    export_control: bool | None = None
    mitigations_all: list[Mitigation] = Field(default_factory=list)
    unless_mitigations: list[Mitigation] = Field(default_factory=list)


class Then(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier_at_least: Tier | None = None
    mode: Mode | None = None
    safeguards: list[Safeguard] = Field(default_factory=list)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    when: When
    then: Then
    because: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: Tier = Tier.OPEN
    mode: Mode = Mode.DOWNLOAD


class RulesDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = Field(ge=1, le=1)
    version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    title: str = ""
    baseline: Baseline = Field(default_factory=Baseline)
    rules: list[Rule] = Field(max_length=500)


@dataclass(frozen=True)
class Reason:
    """Why the recommendation says what it says: the rule, and what it asked for."""

    rule: str
    because: str
    tier: str | None
    mode: str | None
    safeguards: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "because": self.because,
            "tier": self.tier,
            "mode": self.mode,
            "safeguards": list(self.safeguards),
        }


@dataclass(frozen=True)
class Recommendation:
    tier: Tier
    mode: Mode
    safeguards: tuple[str, ...]
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    rules_version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "mode": self.mode.value,
            "safeguards": list(self.safeguards),
            "reasons": [r.as_json() for r in self.reasons],
            "rules_version": self.rules_version,
        }


def recommend(assessment: Assessment, rules: RulesDocument) -> Recommendation:
    """Apply ``rules`` to ``assessment``: the strictest tier and mode asked for, with reasons."""
    tier, mode = rules.baseline.tier, rules.baseline.mode
    safeguards: dict[str, None] = {}
    reasons: list[Reason] = []
    for rule in rules.rules:
        if not matches(rule.when, assessment):
            continue
        then = rule.then
        if then.tier_at_least is not None and then.tier_at_least.rank > tier.rank:
            tier = then.tier_at_least
        if then.mode is Mode.SANDBOX:
            mode = Mode.SANDBOX
        safeguards.update(dict.fromkeys(then.safeguards))
        reasons.append(
            Reason(
                rule.id,
                rule.because,
                then.tier_at_least.value if then.tier_at_least else None,
                then.mode.value if then.mode else None,
                tuple(then.safeguards),
            )
        )
    if tier is Tier.RESTRICTED:
        mode = Mode.SANDBOX  # DESIGN.md: restricted data never leaves the node
    return Recommendation(tier, mode, tuple(safeguards), tuple(reasons), rules.version)


def matches(when: When, assessment: Assessment) -> bool:
    """Do all of the rule's conditions hold for the assessment?"""
    mitigations = set(assessment.mitigations)
    checks = (
        not when.categories_any or bool(set(when.categories_any) & set(assessment.categories)),
        _at_least(assessment.reidentification_risk, when.reidentification_at_least),
        _at_least(assessment.harm_if_misused, when.harm_at_least),
        when.export_control is None or when.export_control == assessment.export_control,
        set(when.mitigations_all) <= mitigations,
        not (set(when.unless_mitigations) & mitigations),
    )
    return all(checks)


def parse_rules(text: str) -> RulesDocument:
    """A rules document from JSON text, or ``InvalidInput`` naming what is wrong."""
    try:
        return RulesDocument.model_validate_json(text)
    except ValidationError as error:
        raise InvalidInput(
            "the risk rules document is not valid",
            code="governance.invalid-rules",
            errors=[
                FieldError(".".join(str(p) for p in e["loc"]) or "document", e["msg"])
                for e in error.errors()[:20]
            ],
            hint="see the rules this node ships at /api/v1/risk-rules for the format",
        ) from None


@lru_cache(maxsize=1)
def default_rules() -> RulesDocument:
    return parse_rules(DEFAULT_RULES.read_text())


def _at_least(value: Level, threshold: Level | None) -> bool:
    return threshold is None or value.rank >= threshold.rank


def rules_json(rules: RulesDocument) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(rules.model_dump_json(exclude_defaults=False))
    return loaded

"""What the engine answers: an outcome, a mode, and the reasons and obligations behind them.

Every reason names the clause that produced it (DESIGN.md rule 2) twice: for machines as a
stable ``code`` plus a ``Clause`` (kind, place in the agreement, DUO term), and for people as
one sentence of plain language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

NO_PARAMS: Mapping[str, str] = MappingProxyType({})


class Outcome(StrEnum):
    PERMIT = "permit"
    REFER = "refer"
    DENY = "deny"


OUTCOME_ORDER = {Outcome.DENY: 0, Outcome.REFER: 1, Outcome.PERMIT: 2}
"""Outcomes from least to most permissive (for comparing decisions)."""


class Mode(StrEnum):
    DOWNLOAD = "download"
    SANDBOX = "sandbox"
    NONE = "none"


class Effect(StrEnum):
    """What a reason does: allow, refer to the committee, refuse, or keep the data home."""

    PERMIT = "permit"
    REFER = "refer"
    DENY = "deny"
    SANDBOX = "sandbox"


class ClauseKind(StrEnum):
    TIER = "tier"
    DUO = "duo"
    ODRL = "odrl"
    RESIDENCY = "residency"
    EXPORT = "export"
    ACCREDITATION = "accreditation"
    SANCTION = "sanction"
    DURATION = "duration"
    COMMITTEE = "committee"
    DUTY = "duty"
    LICENCE = "licence"


@dataclass(frozen=True, slots=True)
class Clause:
    """The part of the agreement (or, for a sanction, of the requester's record) a reason cites."""

    kind: ClauseKind
    ref: str
    term: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"kind": self.kind.value, "ref": self.ref, "term": self.term}


@dataclass(frozen=True, slots=True)
class Reason:
    effect: Effect
    code: str
    clause: Clause
    text: str
    params: Mapping[str, str] = field(default_factory=lambda: NO_PARAMS)

    def as_json(self) -> dict[str, Any]:
        return {
            "effect": self.effect.value,
            "code": self.code,
            "clause": self.clause.as_json(),
            "text": self.text,
            "params": dict(self.params),
        }


@dataclass(frozen=True, slots=True)
class Obligation:
    """A duty the requester takes on with the grant (cite, report, delete, ...)."""

    code: str
    clause: Clause
    text: str
    params: Mapping[str, str] = field(default_factory=lambda: NO_PARAMS)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "clause": self.clause.as_json(),
            "text": self.text,
            "params": dict(self.params),
        }


class Decision(NamedTuple):
    """The engine's answer. A named tuple: it is built once per evaluation, so it is cheap."""

    outcome: Outcome
    mode: Mode
    reasons: tuple[Reason, ...]
    obligations: tuple[Obligation, ...]

    def deciding_reasons(self) -> tuple[Reason, ...]:
        """The reasons that made the outcome and mode what they are (not the ones that allowed)."""
        wanted = {
            Outcome.DENY: {Effect.DENY},
            Outcome.REFER: {Effect.REFER, Effect.SANDBOX},
            Outcome.PERMIT: {Effect.SANDBOX},
        }[self.outcome]
        return tuple(reason for reason in self.reasons if reason.effect in wanted)

    def codes(self) -> frozenset[str]:
        return frozenset(reason.code for reason in self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "mode": self.mode.value,
            "reasons": [reason.as_json() for reason in self.reasons],
            "obligations": [obligation.as_json() for obligation in self.obligations],
        }

"""W3C ODRL 2.2 rules evaluated against a request (ODRL Information Model §2.5–2.7).

A request exercises ``use`` always, ``reproduce`` when it asks to download (a copy leaves the
node) and ``commercialize`` when its purpose is commercial. ``use`` includes every other action.

- A prohibition applies when each of its constraints *may* hold; on ``use`` or ``commercialize``
  it denies, on ``reproduce`` it keeps the data in the sandbox, and on any other action it becomes
  an obligation ("do not distribute the data").
- When the policy has permissions, the request needs a permission on ``use`` whose constraints
  *surely* hold (``use`` includes every other action, so it also covers ``reproduce`` and
  ``commercialize``); otherwise it is denied. Duties of the permission used are obligations.
  To limit downloads or commercial use, prohibit ``reproduce`` or ``commercialize``.

"May" and "surely" differ only for purpose: a purpose surely satisfies ``isA X`` when each of
its terms is X or a kind of X, and may satisfy it when a term shares a descendant with X (a
broad purpose could include the prohibited one). Prohibitions therefore fire conservatively, and
narrowing a purpose never makes a rule fire that did not fire before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from operator import eq, ge, gt, le, lt, ne
from typing import Any

from accord.agreements.context import Context
from accord.agreements.decision import Clause, ClauseKind, Effect, Obligation, Reason
from accord.agreements.document import (
    Constraint,
    CountConstraint,
    DateTimeConstraint,
    ElapsedTimeConstraint,
    OdrlDuty,
    OdrlPolicy,
    Permission,
    PurposeConstraint,
    RecipientConstraint,
    SpatialConstraint,
)
from accord.agreements.findings import Findings
from accord.agreements.jurisdictions import countries
from accord.agreements.ontology import Vocabulary
from accord.agreements.wording import ACTIONS, constraint_phrase

Predicate = Callable[[Context], bool]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": eq,
    "neq": ne,
    "lt": lt,
    "lteq": le,
    "gt": gt,
    "gteq": ge,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled constraint: ``surely`` for permissions, ``may`` for prohibitions."""

    surely: Predicate
    may: Predicate
    phrase: str


@dataclass(frozen=True, slots=True)
class CompiledPermission:
    action: str
    conditions: tuple[Condition, ...]
    duties: tuple[Obligation, ...]
    clause: Clause
    reason: Reason


@dataclass(frozen=True, slots=True)
class CompiledProhibition:
    action: str
    conditions: tuple[Condition, ...]
    clause: Clause
    reason: Reason
    home: Reason
    """The same rule as a sandbox-only reason (a prohibited ``reproduce``)."""
    duty: Obligation
    """The same rule as an obligation (an action the request does not exercise)."""


class OdrlRules:
    """All rules of one ODRL policy, checked together (prohibitions first: deny-overrides)."""

    __slots__ = ("_obligations", "_permissions", "_prohibitions", "_refusals")
    _refusals: dict[tuple[tuple[int, tuple[int, ...]], ...], Reason]

    def __init__(self, policy: OdrlPolicy, vocab: Vocabulary) -> None:
        self._prohibitions = tuple(
            _prohibition(rule.action, rule.constraints, index, vocab)
            for index, rule in enumerate(policy.prohibitions)
        )
        self._permissions = tuple(
            _permission(rule, index, vocab) for index, rule in enumerate(policy.permissions)
        )
        self._refusals = {}
        self._obligations = tuple(
            _duty(duty, Clause(ClauseKind.ODRL, f"odrl.obligations[{i}]"))
            for i, duty in enumerate(policy.obligations)
        )

    def __call__(self, context: Context, found: Findings) -> None:
        download = not found.sandboxed(context)
        commercial = context.purpose.commercial
        for rule in self._prohibitions:
            for condition in rule.conditions:
                if not condition.may(context):
                    break
            else:
                self._prohibited(rule, download, commercial, found)
        if self._permissions:
            self._permitted(context, found)
        found.obligations.extend(self._obligations)

    @staticmethod
    def _prohibited(
        rule: CompiledProhibition, download: bool, commercial: bool, found: Findings
    ) -> None:
        action = rule.action
        if action == "use" or (action == "commercialize" and commercial):
            found.reasons.append(rule.reason)
        elif action == "reproduce" and download:
            found.keep_home(rule.home)
        else:
            found.obligations.append(rule.duty)

    def _permitted(self, context: Context, found: Findings) -> None:
        misses: list[tuple[int, tuple[int, ...]]] = []
        for number, rule in enumerate(self._permissions):
            if rule.action != "use":
                continue
            for condition in rule.conditions:
                if not condition.surely(context):
                    break
            else:
                found.reasons.append(rule.reason)
                found.obligations.extend(rule.duties)
                return
            failing = tuple([i for i, c in enumerate(rule.conditions) if not c.surely(context)])
            misses.append((number, failing))
        key = tuple(misses)
        reason = self._refusals.get(key)
        if reason is None:
            reason = self._refusal(misses)
            self._refusals[key] = reason
        found.reasons.append(reason)

    def _refusal(self, misses: list[tuple[int, tuple[int, ...]]]) -> Reason:
        unmet = [
            f"{self._permissions[number].clause.ref} needs "
            + " and ".join(self._permissions[number].conditions[i].phrase for i in failing)
            for number, failing in misses
        ]
        why = "; ".join(unmet) if unmet else "no permission is for using the data"
        return Reason(
            Effect.DENY,
            "odrl.use-not-permitted",
            Clause(ClauseKind.ODRL, "odrl.permissions"),
            f"No ODRL permission lets the requester use the data: {why}.",
        )


def _permission(rule: Permission, index: int, vocab: Vocabulary) -> CompiledPermission:
    clause = Clause(ClauseKind.ODRL, f"odrl.permissions[{index}]")
    conditions = tuple(condition(c, vocab) for c in rule.constraints)
    because = " and ".join(c.phrase for c in conditions)
    text = "The ODRL policy lets the requester use the data" + (
        f" because {because}." if because else "."
    )
    reason = Reason(Effect.PERMIT, "odrl.permitted", clause, text)
    duties = tuple(_duty(duty, clause) for duty in rule.duties)
    return CompiledPermission(rule.action, conditions, duties, clause, reason)


def _prohibition(
    action: str, constraints: Sequence[Constraint], index: int, vocab: Vocabulary
) -> CompiledProhibition:
    clause = Clause(ClauseKind.ODRL, f"odrl.prohibitions[{index}]")
    conditions = tuple(condition(c, vocab) for c in constraints)
    when = " and ".join(c.phrase for c in conditions)
    text = f"The ODRL policy forbids the requester to {ACTIONS[action]}" + (
        f" when {when}." if when else "."
    )
    reason = Reason(Effect.DENY, "odrl.prohibited", clause, text, {"action": action})
    home = Reason(Effect.SANDBOX, "odrl.reproduce-prohibited", clause, text, {"action": action})
    duty = Obligation("odrl.prohibited", clause, f"Do not {ACTIONS[action]}.", {"action": action})
    return CompiledProhibition(action, conditions, clause, reason, home, duty)


def _duty(duty: OdrlDuty, clause: Clause) -> Obligation:
    note = f" ({duty.note})" if duty.note else ""
    text = ACTIONS[duty.action]
    return Obligation(f"odrl.duty.{duty.action}", clause, f"{text[0].upper()}{text[1:]}{note}.")


def condition(constraint: Constraint, vocab: Vocabulary) -> Condition:
    """Compile one ODRL constraint to its predicates (ODRL 2.2 Vocabulary §4.19–4.21)."""
    phrase = constraint_phrase(constraint, vocab.duo)
    if isinstance(constraint, PurposeConstraint):
        surely, may = _purpose(constraint, vocab)
        return Condition(surely, may, phrase)
    test = _exact(constraint)
    return Condition(test, test, phrase)


def _exact(constraint: Constraint) -> Predicate:
    """Constraints on exact values: the same predicate for permissions and prohibitions."""
    op = constraint.operator
    match constraint:
        case SpatialConstraint(right_operand=codes):
            where = countries(codes)
            inside = op in ("eq", "isAnyOf")
            return lambda c: (c.requester.country in where) is inside
        case RecipientConstraint(right_operand=orgs):
            chosen = frozenset(orgs)
            inside = op in ("eq", "isAnyOf")
            return lambda c: (c.requester.organisation in chosen) is inside
        case DateTimeConstraint(right_operand=written):
            compare = _COMPARE[op]
            moment = written.astimezone(UTC)
            return lambda c: compare(c.now, moment)
        case ElapsedTimeConstraint(right_operand=period):
            compare = _COMPARE[op]
            return lambda c: compare(c.duration.compare(period, c.now), 0)
        case CountConstraint(right_operand=count):
            compare = _COMPARE[op]
            return lambda c: compare(c.prior_uses + 1, count)
    raise TypeError(constraint)


def _purpose(constraint: PurposeConstraint, vocab: Vocabulary) -> tuple[Predicate, Predicate]:
    """Purpose predicates, by kind of term named: data-use categories and research types.

    Each kind the constraint names is constrained; kinds it does not name are left free.
    """
    duo = vocab.duo
    terms = [duo.resolve(code) or code for code in constraint.right_operand]
    cats = [t for t in terms if duo.is_permission(t)]
    kinds = [t for t in terms if not duo.is_permission(t)]
    cat_within = frozenset().union(*(duo.descendants(t) for t in cats))
    kind_within = frozenset().union(*(duo.descendants(t) for t in kinds))
    touching = frozenset().union(*(duo.overlapping(t) for t in terms))

    def within(c: Context) -> bool:
        purpose = c.purpose
        return (not cats or (bool(purpose.categories) and purpose.categories <= cat_within)) and (
            not kinds or (bool(purpose.research_types) and purpose.research_types <= kind_within)
        )

    def overlaps(c: Context) -> bool:
        purpose = c.purpose
        return not (
            purpose.categories.isdisjoint(touching) and purpose.research_types.isdisjoint(touching)
        )

    if constraint.operator == "isNoneOf":
        return (lambda c: not overlaps(c)), (lambda c: not within(c))
    return within, overlaps

"""The agreement's own terms: tier and committee review, grant duration, duties and licence."""

from __future__ import annotations

from accord.agreements.context import Context
from accord.agreements.decision import Clause, ClauseKind, Effect, Obligation, Reason
from accord.agreements.document import AgreementDocument, Review, Tier
from accord.agreements.durations import Duration
from accord.agreements.findings import Findings
from accord.agreements.wording import duty_sentence


class MaximumDuration:
    """The grant may last at most ``max_grant_duration``, counted on the calendar from now."""

    __slots__ = ("_limit", "_refusal", "_within")

    def __init__(self, limit: Duration) -> None:
        clause = Clause(ClauseKind.DURATION, "max_grant_duration")
        self._limit = limit
        self._within = Reason(
            Effect.PERMIT,
            "duration.within-maximum",
            clause,
            f"The requested period is within the {limit.isoformat()} maximum.",
        )
        self._refusal = Reason(
            Effect.DENY,
            "duration.exceeds-maximum",
            clause,
            f"Grants last at most {limit.isoformat()}; ask for a shorter period.",
            {"maximum": limit.isoformat()},
        )

    def __call__(self, context: Context, found: Findings) -> None:
        fits = context.duration.compare(self._limit, context.now) <= 0
        found.reasons.append(self._within if fits else self._refusal)


def tier_reasons(document: AgreementDocument) -> tuple[Reason, ...]:
    """What the tier and the committee contribute to every decision (DESIGN.md, Tiers)."""
    clause = Clause(ClauseKind.TIER, "tier", document.tier.value)
    match document.tier:
        case Tier.OPEN:
            return (Reason(Effect.PERMIT, "tier.open", clause, "Open data: anyone may use it."),)
        case Tier.REGISTERED:
            text = "Registered data: signed-in users who meet the conditions may use it."
            return (Reason(Effect.PERMIT, "tier.registered", clause, text),)
        case Tier.RESTRICTED:
            text = "Restricted data never leaves the node: it is used in the sandbox only."
            return (Reason(Effect.SANDBOX, "tier.restricted", clause, text), *_committee(document))
    return _committee(document)


def _committee(document: AgreementDocument) -> tuple[Reason, ...]:
    committee = document.committee
    if committee is None:
        return ()
    clause = Clause(ClauseKind.COMMITTEE, "committee", committee.name)
    deadline = committee.decision_deadline.isoformat()
    if committee.review is Review.EVERY_REQUEST:
        text = f"{committee.name} reviews every request and decides within {deadline}."
        return (Reason(Effect.REFER, "committee.review", clause, text, {"deadline": deadline}),)
    text = f"Requests that meet every condition are granted without review by {committee.name}."
    return (Reason(Effect.PERMIT, "committee.exceptions-only", clause, text),)


def standing_obligations(document: AgreementDocument) -> tuple[Obligation, ...]:
    """The licence and the duties: obligations of every grant under this agreement."""
    licence = Obligation(
        "licence",
        Clause(ClauseKind.LICENCE, "licence", document.licence),
        f"Use the data under the licence {document.licence}.",
        {"licence": document.licence},
    )
    duties = tuple(
        Obligation(
            f"duty.{duty.kind}", Clause(ClauseKind.DUTY, f"duties[{i}]"), duty_sentence(duty)
        )
        for i, duty in enumerate(document.duties)
    )
    return (licence, *duties)

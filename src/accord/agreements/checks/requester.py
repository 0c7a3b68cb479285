"""Checks on the requester: sanctions in force, signing in, accreditations and their expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.agreements.context import Context
from accord.agreements.decision import Clause, ClauseKind, Effect, Obligation, Reason
from accord.agreements.findings import Findings


class Standing:
    """The requester may ask at all: no sanction in force, and signed in above the open tier.

    Sanctions are decided by the review body; data above the open tier is only for signed-in
    users (DESIGN.md, Tiers).
    """

    __slots__ = ("_anonymous",)

    def __init__(self, tier: str, needs_sign_in: bool) -> None:
        self._anonymous = (
            Reason(
                Effect.DENY,
                "tier.sign-in-required",
                Clause(ClauseKind.TIER, "tier"),
                f"This is {tier} data: sign in to ask for it.",
            )
            if needs_sign_in
            else None
        )

    def __call__(self, context: Context, found: Findings) -> None:
        requester = context.requester
        if requester.sanctions:
            found.reasons.extend(_sanctions_in_force(context))
        if self._anonymous is not None and requester.user is None:
            found.reasons.append(self._anonymous)


def _sanctions_in_force(context: Context) -> list[Reason]:
    return [
        Reason(
            Effect.DENY,
            "sanction.in-force",
            Clause(ClauseKind.SANCTION, sanction.id),
            f"A sanction ({sanction.summary or sanction.id}) bars the requester from new grants"
            + (f" until {sanction.ends:%Y-%m-%d}." if sanction.ends else "."),
            {"sanction": sanction.id},
        )
        for sanction in context.requester.sanctions
        if sanction.in_force(context.now)
    ]


class Accredited:
    """The requester holds an unexpired accreditation of the required kind."""

    __slots__ = ("_clause", "_held", "_kind")

    def __init__(self, kind: str, index: int) -> None:
        self._kind = kind
        self._clause = Clause(ClauseKind.ACCREDITATION, f"accreditations[{index}]", kind)
        self._held = Reason(
            Effect.PERMIT,
            "accreditation.held",
            self._clause,
            f"The requester holds a current '{kind}' accreditation.",
        )

    def __call__(self, context: Context, found: Findings) -> None:
        latest = _latest_expiry(context, self._kind)
        if latest is _NOT_HELD:
            found.reasons.append(
                self._refusal("accreditation.missing", f"needs a '{self._kind}' accreditation")
            )
        elif latest is None:
            found.reasons.append(self._held)
        elif latest <= context.now:
            day = latest.date().isoformat()
            text = f"'{self._kind}' accreditation expired on {day}; renew it"
            found.reasons.append(self._refusal("accreditation.expired", text))
        else:
            found.reasons.append(self._held)
            if latest < context.ends:
                found.obligations.append(self._renew(latest))

    def _renew(self, expires: datetime) -> Obligation:
        day = expires.date().isoformat()
        return Obligation(
            "accreditation.renew",
            self._clause,
            f"Renew the '{self._kind}' accreditation before {day}, or use of the data stops then.",
            {"expires": day},
        )

    def _refusal(self, code: str, text: str) -> Reason:
        return Reason(
            Effect.DENY, code, self._clause, f"The requester {text}.", {"kind": self._kind}
        )


_NOT_HELD = datetime.min.replace(tzinfo=UTC)


def _latest_expiry(context: Context, kind: str) -> datetime | None:
    """The latest expiry among the requester's accreditations of ``kind`` (None: never expires)."""
    latest = _NOT_HELD
    for accreditation in context.requester.accreditations:
        if accreditation.kind == kind:
            if accreditation.expires is None:
                return None
            if accreditation.expires > latest:
                latest = accreditation.expires
    return latest

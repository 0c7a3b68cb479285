"""What the checks of one evaluation find, combined deny-overrides into a ``Decision``.

Any deny reason makes the outcome deny; otherwise any refer reason makes it refer; otherwise it
is permit. The mode is none on deny, sandbox when asked for or when any reason keeps the data at
the node, and download otherwise. Obligations are returned only with a permit or refer.
"""

from __future__ import annotations

from typing import Protocol

from accord.agreements.context import Context
from accord.agreements.decision import Decision, Effect, Mode, Obligation, Outcome, Reason

_DENY, _REFER, _SANDBOX = Effect.DENY, Effect.REFER, Effect.SANDBOX
_PERMIT_OUTCOME, _REFER_OUTCOME, _DENY_OUTCOME = Outcome.PERMIT, Outcome.REFER, Outcome.DENY
_DOWNLOAD, _SANDBOX_MODE, _NO_MODE = Mode.DOWNLOAD, Mode.SANDBOX, Mode.NONE
# (Enum member look-ups are slow on Python 3.11; the hot path reads these module constants.)


class Check(Protocol):
    """One compiled clause: reads the context, records what it finds. Pure and quick."""

    def __call__(self, context: Context, found: Findings) -> None: ...


class Findings:
    """Reasons and obligations recorded so far. Checks append to the lists directly."""

    __slots__ = ("_standing", "download_obligations", "obligations", "reasons", "sandbox")

    def __init__(
        self,
        reasons: tuple[Reason, ...] = (),
        standing: tuple[Obligation, ...] = (),
        sandbox: bool = False,
    ) -> None:
        self.reasons: list[Reason] = list(reasons)
        self._standing = standing
        self.obligations: list[Obligation] = []
        """Obligations found by the checks, after the ``standing`` ones of the agreement."""
        self.download_obligations: list[Obligation] = []
        self.sandbox = sandbox

    def keep_home(self, reason: Reason) -> None:
        """Record a reason whose effect is to keep the data at the node (sandbox only)."""
        if reason.effect is not _SANDBOX:
            raise ValueError(f"{reason.code} does not keep the data at the node")
        self.reasons.append(reason)
        self.sandbox = True

    def sandboxed(self, context: Context) -> bool:
        """Whether, as found so far, the data would be used in the sandbox."""
        return self.sandbox or context.mode is _SANDBOX_MODE

    def decision(self, context: Context) -> Decision:
        """Combine: deny overrides refer, refer overrides permit; sandbox overrides download."""
        reasons = tuple(self.reasons)
        referred = False
        for reason in reasons:
            effect = reason.effect
            if effect is _DENY:
                return Decision(_DENY_OUTCOME, _NO_MODE, reasons, ())
            if effect is _REFER:
                referred = True
        outcome = _REFER_OUTCOME if referred else _PERMIT_OUTCOME
        obligations = (*self._standing, *self.obligations) if self.obligations else self._standing
        if self.sandbox or context.mode is _SANDBOX_MODE:
            return Decision(outcome, _SANDBOX_MODE, reasons, obligations)
        if self.download_obligations:
            obligations = (*obligations, *self.download_obligations)
        return Decision(outcome, _DOWNLOAD, reasons, obligations)

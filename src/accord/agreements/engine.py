"""The policy engine: ``evaluate(agreement, context) -> Decision``; pure, deterministic, quick.

No I/O, no clock, no randomness: the same compiled agreement and context always give the same
decision. The combining rule (deny-overrides, then refer, then permit) is in ``findings.py``;
the meaning of each clause is in ``checks/``.
"""

from __future__ import annotations

from accord.agreements.compiled import CompiledAgreement
from accord.agreements.context import Context
from accord.agreements.decision import Decision
from accord.agreements.findings import Findings


def evaluate(agreement: CompiledAgreement, context: Context) -> Decision:
    """Decide ``context`` under ``agreement``: outcome, mode, reasons, obligations."""
    found = Findings(agreement.reasons, agreement.obligations, agreement.sandbox)
    for check in agreement.checks:
        check(context, found)
    return found.decision(context)

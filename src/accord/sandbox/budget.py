"""Privacy budgets: the epsilon each grant may spend, spent exactly once per job.

A spend is one conditional ``UPDATE … SET spent = spent + e WHERE spent + e <= total``: the
database applies it atomically, so two jobs racing for the last of a budget cannot both win,
on SQLite (writers queue) as on PostgreSQL (the row lock orders them). A check constraint keeps
``0 <= spent <= total`` whatever any caller does. Amounts are integer millionths of epsilon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import Conflict
from accord.sandbox.models import MICRO, PrivacyBudget


@dataclass(frozen=True)
class Budget:
    grant_id: str
    total_micro: int
    spent_micro: int

    @property
    def remaining_micro(self) -> int:
        return self.total_micro - self.spent_micro

    def as_json(self) -> dict[str, object]:
        return {
            "grant_id": self.grant_id,
            "total_epsilon": self.total_micro / MICRO,
            "spent_epsilon": self.spent_micro / MICRO,
            "remaining_epsilon": self.remaining_micro / MICRO,
        }


def to_micro(epsilon: float) -> int:
    """Epsilon in millionths, rounded up (a spend never rounds in the researcher's favour)."""
    micro = int(epsilon * MICRO)
    return micro + 1 if micro < epsilon * MICRO else micro


def budget_of(session: Session, grant_id: str) -> Budget | None:
    row = session.get(PrivacyBudget, grant_id, populate_existing=True)
    return None if row is None else Budget(row.grant_id, row.total_micro, row.spent_micro)


def open_budget(session: Session, grant_id: str, total_epsilon: float, now: datetime) -> Budget:
    """The grant's budget, created with ``total_epsilon`` the first time it is needed."""
    found = budget_of(session, grant_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(
                PrivacyBudget(
                    grant_id=grant_id,
                    total_micro=int(total_epsilon * MICRO),
                    spent_micro=0,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass  # another job opened it at the same moment
    opened = budget_of(session, grant_id)
    if opened is None:
        raise RuntimeError(f"the budget of {grant_id} could not be opened")
    return opened


def spend(session: Session, grant_id: str, job_id: str, micro: int, now: datetime) -> Budget:
    """Take ``micro`` from the grant's budget for ``job_id``, or ``Conflict`` if it cannot."""
    if micro <= 0:
        raise ValueError("a spend is positive")
    result = session.execute(
        update(PrivacyBudget)
        .where(
            PrivacyBudget.grant_id == grant_id,
            PrivacyBudget.spent_micro + micro <= PrivacyBudget.total_micro,
        )
        .values(spent_micro=PrivacyBudget.spent_micro + micro, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    after = budget_of(session, grant_id)
    if getattr(result, "rowcount", 0) != 1 or after is None:
        left = after.remaining_micro / MICRO if after is not None else 0.0
        raise Conflict(
            f"the privacy budget of grant {grant_id} has {left:g} epsilon left; "
            f"this job needs {micro / MICRO:g}",
            code="sandbox.budget-exhausted",
            hint="ask for a smaller epsilon, or ask the data access committee for more budget",
            extra={"remaining_epsilon": left},
        )
    _log(session, "sandbox.budget.spent", grant_id, job_id, micro, after)
    return after


def refund(session: Session, grant_id: str, job_id: str, micro: int, now: datetime) -> Budget:
    """Give back what a job spent when it failed before any noisy answer was drawn."""
    session.execute(
        update(PrivacyBudget)
        .where(PrivacyBudget.grant_id == grant_id, PrivacyBudget.spent_micro >= micro)
        .values(spent_micro=PrivacyBudget.spent_micro - micro, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    after = budget_of(session, grant_id)
    if after is None:
        raise RuntimeError(f"no budget for {grant_id}")
    _log(session, "sandbox.budget.refunded", grant_id, job_id, micro, after)
    return after


def _log(
    session: Session, kind: str, grant_id: str, job_id: str, micro: int, after: Budget
) -> None:
    ledger.append(
        session,
        ledger.Event(
            kind,
            public={
                "grant": grant_id,
                "job": job_id,
                "epsilon": micro / MICRO,
                "remaining_epsilon": after.remaining_micro / MICRO,
            },
        ),
    )

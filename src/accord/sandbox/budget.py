"""Privacy budgets: the epsilon one researcher may spend on one dataset, across all their grants.

The total is the privacy budget in the agreement terms of the grant a job is submitted under,
like every other disclosure setting (decision 0505). What has been spent is kept per researcher
and dataset (decision 0506), so a second grant on the same dataset, or a grant on a later
version of it, starts from what the earlier ones spent, never from zero.

A spend is one conditional ``UPDATE … SET spent = spent + e WHERE spent + e <= total``: the
database applies it atomically, so jobs racing for the last of a budget cannot both win, on
SQLite (writers queue) as on PostgreSQL (the row lock orders them), whichever of the
researcher's grants they use. A check constraint keeps the spent amount from going below zero.
Amounts are integer millionths of epsilon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accord import ledger
from accord.errors import Conflict
from accord.i18n.translate import N_, _l
from accord.sandbox.models import MICRO, Job, PrivacySpending


@dataclass(frozen=True)
class Scope:
    """Whose budget a spend draws on: a researcher's on a dataset, seen through one grant, whose
    agreement terms set the total."""

    user_id: str
    dataset_id: str
    grant_id: str
    total_micro: int


@dataclass(frozen=True)
class Budget:
    """A researcher's budget on a dataset as one grant shows it."""

    grant_id: str
    dataset_id: str
    total_micro: int
    spent_micro: int

    @property
    def remaining_micro(self) -> int:
        """What may still be spent (none when earlier grants spent more than this total)."""
        return max(0, self.total_micro - self.spent_micro)

    def as_json(self) -> dict[str, object]:
        return {
            "grant_id": self.grant_id,
            "dataset_id": self.dataset_id,
            "total_epsilon": self.total_micro / MICRO,
            "spent_epsilon": self.spent_micro / MICRO,
            "remaining_epsilon": self.remaining_micro / MICRO,
        }


def to_micro(epsilon: float) -> int:
    """Epsilon in millionths, rounded up (a spend never rounds in the researcher's favour)."""
    micro = int(epsilon * MICRO)
    return micro + 1 if micro < epsilon * MICRO else micro


def total_micro(epsilon: float) -> int:
    """A budget's total in millionths, rounded down (nor does a total)."""
    return int(epsilon * MICRO)


def budget_of(session: Session, scope: Scope) -> Budget:
    """The budget ``scope`` sees: its total, and what the researcher spent on the dataset."""
    return Budget(scope.grant_id, scope.dataset_id, scope.total_micro, spent_of(session, scope))


def spent_of(session: Session, scope: Scope) -> int:
    """What the researcher has spent on the dataset, through any of their grants."""
    spent = session.scalar(
        select(PrivacySpending.spent_micro).where(
            PrivacySpending.user_id == scope.user_id,
            PrivacySpending.dataset_id == scope.dataset_id,
        )
    )
    return int(spent or 0)


def spend(session: Session, scope: Scope, job_id: str, micro: int, now: datetime) -> Budget:
    """Take ``micro`` from the researcher's budget for ``job_id``, or ``Conflict`` if it cannot."""
    if micro <= 0:
        raise ValueError("a spend is positive")
    _open(session, scope, now)
    spent = session.execute(
        update(PrivacySpending)
        .where(
            PrivacySpending.user_id == scope.user_id,
            PrivacySpending.dataset_id == scope.dataset_id,
            PrivacySpending.spent_micro + micro <= scope.total_micro,
        )
        .values(spent_micro=PrivacySpending.spent_micro + micro, updated_at=now)
        .returning(PrivacySpending.spent_micro)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if spent is None:
        left = budget_of(session, scope).remaining_micro / MICRO
        raise Conflict(
            _l(
                "your privacy budget on dataset %(dataset)s has %(left)s "
                "epsilon left (across all your grants on it); this job needs %(needed)s",
                dataset=scope.dataset_id,
                left=format(left, "g"),
                needed=format(micro / MICRO, "g"),
            ),
            code="sandbox.budget-exhausted",
            hint=N_("ask for a smaller epsilon, or ask the data access committee for more budget"),
            extra={"remaining_epsilon": left},
        )
    after = Budget(scope.grant_id, scope.dataset_id, scope.total_micro, int(spent))
    _log(session, "sandbox.budget.spent", job_id, micro, after)
    return after


def refund(session: Session, job: Job, now: datetime) -> Budget:
    """Give back what ``job`` spent when it failed before any noisy answer was drawn."""
    micro = int(job.epsilon_micro or 0)
    session.execute(
        update(PrivacySpending)
        .where(
            PrivacySpending.user_id == job.user_id,
            PrivacySpending.dataset_id == job.dataset_id,
            PrivacySpending.spent_micro >= micro,
        )
        .values(spent_micro=PrivacySpending.spent_micro - micro, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    total = job.policy.get("privacy_budget")
    scope = Scope(
        job.user_id, job.dataset_id, job.grant_id, total_micro(float(total)) if total else 0
    )
    after = budget_of(session, scope)
    _log(session, "sandbox.budget.refunded", job.id, micro, after)
    return after


def _open(session: Session, scope: Scope, now: datetime) -> None:
    """The researcher's spending row on the dataset, created at zero by their first spend
    (concurrent first spends both find it: the second insert does nothing)."""
    make = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        make(PrivacySpending)
        .values(user_id=scope.user_id, dataset_id=scope.dataset_id, spent_micro=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "dataset_id"])
    )


def _log(session: Session, kind: str, job_id: str, micro: int, after: Budget) -> None:
    ledger.append(
        session,
        ledger.Event(
            kind,
            public={
                "grant": after.grant_id,
                "dataset": after.dataset_id,
                "job": job_id,
                "epsilon": micro / MICRO,
                "remaining_epsilon": after.remaining_micro / MICRO,
            },
        ),
    )

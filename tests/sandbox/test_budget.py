"""Privacy budgets on both databases: what a researcher spends on a dataset is one amount across
all their grants on it, never below zero, never beyond the total of the grant a spend goes
through, whatever the sequence of spends and refunds; concurrent jobs cannot overspend, whichever
of the researcher's grants they use."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from accord.errors import Conflict
from accord.ids import new_id
from accord.node import NodeContext
from accord.sandbox import budget
from accord.sandbox.models import MICRO, Job, PrivacySpending
from tests.conftest import MakeAccount
from tests.sandbox.conftest import publish_dataset

TOTALS = (MICRO, 600_000)
"""The totals of two grants of one researcher on one dataset (two agreement versions)."""

Step = tuple[str, int, int]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["spend", "refund"]),
        st.integers(min_value=0, max_value=len(TOTALS) - 1),
        st.integers(min_value=1, max_value=600_000),
    ),
    max_size=15,
)


@pytest.fixture
def scopes(node: NodeContext, make_account: MakeAccount, make_org: Any) -> list[budget.Scope]:
    """One researcher's view of one dataset's budget through two grants."""
    researcher = make_account()
    dataset_id, _version_id = publish_dataset(node, make_org("Data holder", "CH"))
    return [budget.Scope(researcher.id, dataset_id, new_id("gr"), total) for total in TOTALS]


def refund(session: Any, scope: budget.Scope, micro: int, now: datetime) -> budget.Budget:
    """Refund a job of ``scope`` that spent ``micro`` (the job as a worker sees it)."""
    job = Job(
        id=new_id("job"),
        user_id=scope.user_id,
        dataset_id=scope.dataset_id,
        grant_id=scope.grant_id,
        epsilon_micro=micro,
        policy={"privacy_budget": scope.total_micro / MICRO},
    )
    return budget.refund(session, job, now)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_spending_stays_within_zero_and_the_total_across_grants(
    node: NodeContext, scopes: list[budget.Scope], steps: list[Step]
) -> None:
    now = node.clock.now()
    with node.session() as s:
        s.execute(delete(PrivacySpending))
        budget.spend(s, scopes[0], new_id("job"), 1, now)
        s.commit()
    spent = 1
    for kind, which, micro in steps:
        scope = scopes[which]
        with node.session() as s:
            if kind == "refund":
                refund(s, scope, min(micro, spent), now)
                spent -= min(micro, spent)
                s.commit()
            elif spent + micro > scope.total_micro:
                with pytest.raises(Conflict, match="epsilon left"):
                    budget.spend(s, scope, new_id("job"), micro, now)
                s.rollback()  # as the API does: a refused job changes nothing
            else:
                after = budget.spend(s, scope, new_id("job"), micro, now)
                spent += micro
                assert after.spent_micro <= scope.total_micro
                s.commit()
        with node.session() as s:
            for seen in (budget.budget_of(s, other) for other in scopes):
                assert seen.spent_micro == spent, "every grant sees the same spending"
                assert 0 <= seen.remaining_micro <= seen.total_micro


def test_a_second_grant_starts_from_what_the_first_spent(
    node: NodeContext, scopes: list[budget.Scope]
) -> None:
    first, second = scopes
    now = node.clock.now()
    with node.session() as s:
        budget.spend(s, first, new_id("job"), 500_000, now)
        s.commit()
    with node.session() as s:
        seen = budget.budget_of(s, second)
        assert (seen.spent_micro, seen.remaining_micro) == (500_000, 100_000)
        with pytest.raises(Conflict, match=r"0\.1 epsilon left") as refused:
            budget.spend(s, second, new_id("job"), 200_000, now)
        assert refused.value.code == "sandbox.budget-exhausted"


def test_a_stricter_grant_has_nothing_left_once_a_looser_one_spent_more(
    node: NodeContext, scopes: list[budget.Scope]
) -> None:
    looser, stricter = scopes
    now = node.clock.now()
    with node.session() as s:
        budget.spend(s, looser, new_id("job"), 900_000, now)
        s.commit()
    with node.session() as s:
        assert budget.budget_of(s, stricter).remaining_micro == 0
        with pytest.raises(Conflict):
            budget.spend(s, stricter, new_id("job"), 1, now)


def test_concurrent_jobs_through_two_grants_cannot_overspend(
    node: NodeContext, scopes: list[budget.Scope]
) -> None:
    first, second = scopes
    grants = [first, budget.Scope(second.user_id, second.dataset_id, second.grant_id, MICRO)]
    now = node.clock.now()
    with node.session() as s:
        budget.spend(s, grants[0], new_id("job"), 100_000, now)
        s.commit()
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def job(scope: budget.Scope) -> None:
        with node.session() as s:
            start.wait()
            try:
                budget.spend(s, scope, new_id("job"), 300_000, now)
                s.commit()
                outcomes.append("spent")
            except Conflict:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=job, args=(grants[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["spent"] * 3
    with node.session() as s:
        assert budget.budget_of(s, grants[1]).remaining_micro == 0


def test_spending_nothing_is_a_bug() -> None:
    scope = budget.Scope("usr", "ds", "gr", MICRO)
    with pytest.raises(ValueError, match="positive"):
        budget.spend(None, scope, "job", 0, datetime.now())  # type: ignore[arg-type]


def test_epsilon_rounds_up_to_the_next_millionth() -> None:
    assert budget.to_micro(0.5) == 500_000
    assert budget.to_micro(0.1234561) == 123_457
    assert budget.to_micro(1e-9) == 1

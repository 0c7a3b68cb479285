"""Privacy budgets on both databases: a budget never goes below zero (nor above its total),
whatever the sequence of spends and refunds, and concurrent jobs cannot overspend."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import Conflict
from accord.ids import new_id
from accord.node import NodeContext
from accord.sandbox import budget
from accord.sandbox.models import MICRO

Step = tuple[str, int]
STEPS = st.lists(
    st.tuples(st.sampled_from(["spend", "refund"]), st.integers(min_value=1, max_value=600_000)),
    max_size=15,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_a_budget_never_leaves_zero_to_total(node: NodeContext, steps: list[Step]) -> None:
    grant = new_id("gr")
    now = node.clock.now()
    with node.session() as s:
        budget.open_budget(s, grant, 1.0, now)
        budget.spend(s, grant, new_id("job"), 1, now)
        s.commit()
    spent = 1
    for kind, micro in steps:
        with node.session() as s:
            if kind == "refund":
                budget.refund(s, grant, new_id("job"), min(micro, spent), now)
                spent -= min(micro, spent)
                s.commit()
            elif spent + micro > MICRO:
                with pytest.raises(Conflict, match="epsilon left"):
                    budget.spend(s, grant, new_id("job"), micro, now)
                s.rollback()  # as the API does: a refused job changes nothing
            else:
                budget.spend(s, grant, new_id("job"), micro, now)
                spent += micro
                s.commit()
        with node.session() as s:
            found = budget.budget_of(s, grant)
            assert found is not None
            assert 0 <= found.spent_micro <= found.total_micro
            assert found.spent_micro == spent


def test_concurrent_jobs_cannot_overspend(node: NodeContext) -> None:
    grant = new_id("gr")
    now = node.clock.now()
    with node.session() as s:
        budget.open_budget(s, grant, 1.0, now)
        budget.spend(s, grant, new_id("job"), 100_000, now)
        s.commit()
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def job() -> None:
        with node.session() as s:
            start.wait()
            try:
                budget.spend(s, grant, new_id("job"), 300_000, now)
                s.commit()
                outcomes.append("spent")
            except Conflict:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=job) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["spent"] * 3
    with node.session() as s:
        found = budget.budget_of(s, grant)
        assert found is not None and found.remaining_micro == 0


def test_spending_nothing_is_a_bug() -> None:
    with pytest.raises(ValueError, match="positive"):
        budget.spend(None, "gr", "job", 0, datetime.now())  # type: ignore[arg-type]


def test_epsilon_rounds_up_to_the_next_millionth() -> None:
    assert budget.to_micro(0.5) == 500_000
    assert budget.to_micro(0.1234561) == 123_457
    assert budget.to_micro(1e-9) == 1

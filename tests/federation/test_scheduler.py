"""The federation scheduler: leases keep each task to one process at a time and space its runs;
a round runs what is due, and a peer that does not answer is retried a minute later."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from accord import ledger
from accord.clock import SettableClock
from accord.federation.scheduler import RETRY, Intervals, Scheduler, claim, hold_until
from accord.node import NodeContext
from tests.federation.rows import unreachable_peer


def test_a_lease_is_taken_by_one_holder_until_it_expires(
    node: NodeContext, clock: SettableClock
) -> None:
    now = clock.now()
    with node.session() as session:
        assert claim(session, "harvest:p", "one", now, now + timedelta(minutes=10))
        assert not claim(session, "harvest:p", "two", now, now + timedelta(minutes=10))
        assert not claim(session, "harvest:p", "one", now, now + timedelta(minutes=10))
        hold_until(session, "harvest:p", "one", now + timedelta(minutes=15))
        later = now + timedelta(minutes=14)
        assert not claim(session, "harvest:p", "two", later, later + timedelta(minutes=10))
        due = now + timedelta(minutes=15)
        assert claim(session, "harvest:p", "two", due, due + timedelta(minutes=10))


def test_concurrent_claims_have_one_winner(node: NodeContext, clock: SettableClock) -> None:
    now = clock.now()

    def attempt(holder: int) -> bool:
        with node.session() as session:
            return claim(session, "witness:p", f"h{holder}", now, now + timedelta(minutes=5))

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert results.count(True) == 1


def test_a_round_runs_what_is_due_and_retries_an_unreachable_peer(
    node: NodeContext, clock: SettableClock
) -> None:
    with node.session() as session:
        session.add(unreachable_peer(clock.now()))
        ledger.append(session, ledger.Event("federation.peer.added", public={"peer": "peer_far"}))
        session.commit()
    scheduler = Scheduler(node, intervals=Intervals(), holder="test")
    first = {d.task: d.outcome for d in scheduler.run_round()}
    assert first == {
        "harvest:peer_far": "failed",
        "witness:peer_far": "failed",
        "requests": "ok",
    }
    assert scheduler.run_round() == []
    clock.advance(RETRY)
    assert {d.task for d in scheduler.run_round()} == {"harvest:peer_far", "witness:peer_far"}
    clock.advance(timedelta(minutes=1))
    assert {d.task for d in scheduler.run_round()} == set(first)  # requests: due after 2 min

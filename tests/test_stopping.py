"""A long-running process stops on SIGTERM even when the signal lands while it holds its lock."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from accord.stopping import stop_on_signals


@pytest.fixture
def restore_handlers() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("restore_handlers")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_received_while_the_stop_event_is_locked_still_stops(sig: int) -> None:
    stop = threading.Event()
    stop_on_signals(stop.set)
    # The main thread holds the event's own lock, as it does for a moment inside Event.wait: a
    # handler that set the event itself would wait here for ever.
    with stop._cond:
        os.kill(os.getpid(), sig)
        assert not stop.is_set()
    assert stop.wait(5)

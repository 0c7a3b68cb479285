"""Stopping a long-running process (sandbox worker, federation scheduler) on SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType


def stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT call ``stop`` from a short-lived thread of its own.

    A Python signal handler runs in the main thread between two bytecodes, possibly while that
    thread holds the lock inside the ``threading.Event`` it waits on; setting the event from the
    handler would then wait for that lock for ever (a worker stopped that way never ended). The
    thread takes the lock as soon as the main thread lets it go.
    """

    def handle(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=stop, name="stop-on-signal", daemon=True).start()

    handler: Callable[[int, FrameType | None], None] = handle
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)

"""Measuring a served node: a random source file of a given size, and peak RSS sampling."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import psutil  # type: ignore[import-untyped]

MiB = 1024 * 1024


def make_source(path: Path, size: int) -> str:
    """A file of ``size`` random bytes; returns its sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = os.urandom(min(MiB, remaining))
            digest.update(chunk)
            handle.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


class PeakRss:
    """Samples a process's resident memory every 10 ms while in the ``with`` block."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

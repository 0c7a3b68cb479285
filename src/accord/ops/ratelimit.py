"""Fixed-window rate limits behind one small interface, with two real back ends.

- ``DatabaseLimiter`` keeps counters in the node's database, so every API process sees the same
  count: used for sign-in attempts and account lockout, where correctness matters more than cost.
- ``MemoryLimiter`` keeps counters in the process: used for the per-token request rate, checked
  on every API call, where a database write per request would cost too much. With N processes
  the effective limit is at most N times the setting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Integer, String, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from accord.db import Base, UTCDateTime


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta


class Limiter(Protocol):
    def hit(self, key: str, limit: Limit, now: datetime) -> int | None:
        """Count one event; return the seconds to wait if ``limit`` is exceeded, else None."""
        ...


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _retry_after(now: datetime, start: datetime, window: timedelta) -> int:
    return max(1, int((start + window - now).total_seconds()))


class MemoryLimiter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def hit(self, key: str, limit: Limit, now: datetime) -> int | None:
        start = _window_start(now, limit.window)
        with self._lock:
            if len(self._counts) >= self._max_keys:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == start}
            window, count = self._counts.get(key, (start, 0))
            count = count + 1 if window == start else 1
            self._counts[key] = (start, count)
        return _retry_after(now, start, limit.window) if count > limit.count else None


class RateCounter(Base):
    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


class DatabaseLimiter:
    """Counters in ``rate_counters``; the caller's session commits them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def hit(self, key: str, limit: Limit, now: datetime) -> int | None:
        start = _window_start(now, limit.window)
        count = self._increment(key, start)
        return _retry_after(now, start, limit.window) if count > limit.count else None

    def peek(self, key: str, limit: Limit, now: datetime) -> int | None:
        """Seconds to wait if ``key`` is already over ``limit`` in this window (no counting)."""
        start = _window_start(now, limit.window)
        row = self.session.get(RateCounter, key)
        if row is None or row.window_start != start or row.count < limit.count:
            return None
        return _retry_after(now, start, limit.window)

    def reset(self, key: str) -> None:
        self.session.execute(delete(RateCounter).where(RateCounter.key == key))

    def _increment(self, key: str, start: datetime) -> int:
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(RateCounter).values(key=key, window_start=start, count=1)
        same_window = RateCounter.window_start == start
        stmt = stmt.on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "count": case((same_window, RateCounter.count + 1), else_=1),
                "window_start": start,
            },
        )
        self.session.execute(stmt)
        count = self.session.scalar(select(RateCounter.count).where(RateCounter.key == key))
        return int(count or 0)

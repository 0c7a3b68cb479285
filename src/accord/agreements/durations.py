"""ISO 8601 durations (``P90D``, ``P1Y6M``) measured on the calendar from a moment.

Months and years have no fixed length, so durations are never compared by themselves: the engine
compares the instants they end at (``start + duration``), which is exact and deterministic.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

PATTERN = (
    r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_DURATION = re.compile(PATTERN)


@dataclass(frozen=True, slots=True, order=False)
class Duration:
    """A calendar duration: whole months, then days, then seconds (ISO 8601 §4.4.3.2)."""

    months: int = 0
    days: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text.strip().upper())
        if match is None:
            raise ValueError(f"{text!r} is not an ISO 8601 duration (e.g. P90D, P1Y, PT12H)")
        y, mo, w, d, h, mi, s = (int(part) if part else 0 for part in match.groups())
        return cls(months=12 * y + mo, days=7 * w + d, seconds=3600 * h + 60 * mi + s)

    @classmethod
    def of_months(cls, months: int) -> Duration:
        return cls(months=months)

    def after(self, start: datetime) -> datetime:
        """The instant this duration ends when it starts at ``start``."""
        if not self.months:
            return start + timedelta(days=self.days, seconds=self.seconds)
        total = start.month - 1 + self.months
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        moment = start.replace(year=year, month=month, day=day)
        return moment + timedelta(days=self.days, seconds=self.seconds)

    def compare(self, other: Duration, start: datetime) -> int:
        """-1, 0 or 1 as this duration ends before, with or after ``other``, both from ``start``.

        Exact without calendar arithmetic when the month parts are equal or both durations are
        whole months; otherwise the two end instants are computed and compared.
        """
        if self.months == other.months:
            mine = self.days * 86400 + self.seconds
            theirs = other.days * 86400 + other.seconds
        elif not (self.days or self.seconds or other.days or other.seconds):
            mine, theirs = self.months, other.months
        else:
            ends, other_ends = self.after(start), other.after(start)
            return (ends > other_ends) - (ends < other_ends)
        return (mine > theirs) - (mine < theirs)

    def isoformat(self) -> str:
        years, months = divmod(self.months, 12)
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        date_part = "".join(
            f"{n}{unit}" for n, unit in ((years, "Y"), (months, "M"), (self.days, "D")) if n
        )
        time_part = "".join(
            f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
        )
        text = "P" + date_part + (f"T{time_part}" if time_part else "")
        return text if text != "P" else "P0D"

    def __str__(self) -> str:
        return self.isoformat()


def _coerce(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, str):
        return Duration.parse(value)
    raise ValueError("a duration is an ISO 8601 string such as P90D")


IsoDuration = Annotated[
    Duration,
    BeforeValidator(_coerce),
    PlainSerializer(Duration.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "pattern": PATTERN, "examples": ["P90D", "P1Y"]}),
]

"""ISO 8601 durations measured on the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.agreements.durations import Duration
from tests.agreements.builders import at


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("P90D", Duration(days=90)),
        ("P1Y", Duration(months=12)),
        ("P1Y6M", Duration(months=18)),
        ("P2W", Duration(days=14)),
        ("PT12H", Duration(seconds=43200)),
        ("P1DT1M", Duration(days=1, seconds=60)),
    ],
)
def test_parse(text: str, duration: Duration) -> None:
    assert Duration.parse(text) == duration


@pytest.mark.parametrize("text", ["", "P", "90D", "PT", "P1.5D", "P-1D", "forever"])
def test_parse_refuses_non_durations(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        Duration.parse(text)


def test_months_end_on_the_calendar() -> None:
    assert Duration(months=1).after(at("2025-01-31T10:00:00")) == at("2025-02-28T10:00:00")
    assert Duration(months=12).after(at("2024-02-29T00:00:00")) == at("2025-02-28T00:00:00")


@given(
    st.builds(Duration, st.integers(0, 30), st.integers(0, 400), st.integers(0, 86400)),
    st.builds(Duration, st.integers(0, 30), st.integers(0, 400), st.integers(0, 86400)),
    st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
)
def test_compare_agrees_with_end_instants(a: Duration, b: Duration, start: datetime) -> None:
    ends, other = a.after(start), b.after(start)
    assert a.compare(b, start) == (ends > other) - (ends < other)


@given(st.builds(Duration, st.integers(0, 300), st.integers(0, 400), st.integers(0, 86399)))
def test_isoformat_round_trips(duration: Duration) -> None:
    assert Duration.parse(duration.isoformat()) == duration

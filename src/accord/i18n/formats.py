"""Dates, numbers and file sizes written the reader's way (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime

from babel import dates, numbers, units

from accord.i18n.translate import current_locale

_SIZE_UNITS = ("byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte")


def format_date(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_date(value, format=style, locale=current_locale())


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    """A moment in the reader's format; times stay in UTC (the node's clock) and say so."""
    if value is None:
        return ""
    text = dates.format_datetime(value, format=style, tzinfo=dates.UTC, locale=current_locale())
    return f"{text} UTC"


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(value, locale=current_locale())


def format_percent(value: float | None) -> str:
    if value is None:
        return ""
    return numbers.format_percent(value, locale=current_locale())


def format_size(size: int | None) -> str:
    """A byte count in binary multiples (1 kB = 1024 bytes), e.g. ``1.5 MB`` or ``1,5 Mo``."""
    if size is None:
        return ""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return units.format_unit(size, "digital-byte", length="short", locale=current_locale())
    return units.format_unit(
        round(value, 1), f"digital-{_SIZE_UNITS[unit]}", length="short", locale=current_locale()
    )

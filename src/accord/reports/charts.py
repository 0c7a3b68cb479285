"""Charts as inline SVG, drawn on the server: no script, readable by screen readers.

Each chart is a horizontal bar chart with a ``<title>`` and ``<desc>`` (tied to the ``<svg>``
with ``aria-labelledby``); pages print the same figures in a table beside it. A hidden (small,
suppressed) figure draws no bar and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from accord.i18n.formats import format_number, format_percent
from accord.i18n.translate import N_, _
from accord.reports.regions import UNKNOWN

_BAR_HEIGHT = 22
_GAP = 8
_LABEL_WIDTH = 190
_BAR_WIDTH = 320
_VALUE_WIDTH = 90


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    maximum: float
    signed: bool = False


def svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element (escaped; safe to inline in HTML)."""
    width = _LABEL_WIDTH + _BAR_WIDTH + _VALUE_WIDTH
    height = max(1, len(chart.bars)) * (_BAR_HEIGHT + _GAP) + _GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart.id}-title {chart.id}-desc">',
        f'<title id="{chart.id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.id}-desc">{escape(chart.description)}</desc>',
    ]
    zero = _LABEL_WIDTH + (_BAR_WIDTH / 2 if chart.signed else 0)
    scale = (_BAR_WIDTH / 2 if chart.signed else _BAR_WIDTH) / (chart.maximum or 1)
    for index, bar in enumerate(chart.bars):
        y = _GAP + index * (_BAR_HEIGHT + _GAP)
        middle = y + _BAR_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{middle}" text-anchor="end" font-size="12">'
            f"{escape(_short(bar.label))}</text>"
        )
        if bar.value is not None:
            length = abs(bar.value) * scale
            x = zero - length if bar.value < 0 else zero
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{_BAR_HEIGHT}" '
                f'fill="{"#b45309" if bar.value < 0 else "#1d4ed8"}"/>'
            )
        parts.append(
            f'<text x="{_LABEL_WIDTH + _BAR_WIDTH + 6}" y="{middle}" font-size="12">'
            f"{escape(bar.text)}</text>"
        )
    if chart.signed:
        parts.append(f'<line x1="{zero}" y1="0" x2="{zero}" y2="{height}" stroke="#374151"/>')
    parts.append("</svg>")
    return "".join(parts)


def report_charts(document: Mapping[str, Any]) -> list[Chart]:
    """The charts a report's figures call for (only those its sections hold), with titles,
    descriptions, group names and values in the language in effect."""
    sections = document.get("sections", {})
    charts: list[Chart] = []
    breakdowns = sections.get("breakdowns", {})
    if "region" in breakdowns:
        charts.append(
            _rate_chart("grant-rate-region", _("Grant rate by world region"), breakdowns["region"])
        )
    if "income_group" in breakdowns:
        charts.append(
            _rate_chart(
                "grant-rate-income", _("Grant rate by income group"), breakdowns["income_group"]
            )
        )
        charts.append(_requests_chart(breakdowns["income_group"]))
    if "region" in breakdowns:
        charts.append(_days_chart(breakdowns["region"]))
    reciprocity = sections.get("reciprocity")
    if reciprocity:
        charts.append(_reciprocity_chart(reciprocity["countries"]))
    return charts


GROUP_NAMES = {
    "Africa": N_("Africa"),
    "Americas": N_("Americas"),
    "Asia": N_("Asia"),
    "Europe": N_("Europe"),
    "Oceania": N_("Oceania"),
    "high": N_("high income"),
    "upper-middle": N_("upper-middle income"),
    "lower-middle": N_("lower-middle income"),
    "low": N_("low income"),
    UNKNOWN: N_("unknown"),
}
"""World regions and income groups as the charts name them (keys as the classification has
them); other labels (countries, organisations) are names and stay as they are."""


def _rate_chart(chart_id: str, title: str, rows: Sequence[Mapping[str, Any]]) -> Chart:
    bars = tuple(
        Bar(
            group_name(r),
            r["grant_rate"],
            format_percent(r["grant_rate"]) if r["grant_rate"] is not None else _hidden(r),
        )
        for r in rows
    )
    return Chart(
        chart_id,
        title,
        _("Share of decided requests that were approved, per group: %(values)s")
        % {"values": _list(bars)},
        bars,
        1.0,
    )


def _requests_chart(rows: Sequence[Mapping[str, Any]]) -> Chart:
    bars = tuple(
        Bar(
            group_name(r),
            r["requests"],
            format_number(r["requests"]) if r["requests"] is not None else _hidden(r),
        )
        for r in rows
    )
    maximum = max((b.value or 0 for b in bars), default=0)
    return Chart(
        "requests-income",
        _("Requests by income group"),
        _("Access requests submitted in the period, per income group: %(values)s")
        % {"values": _list(bars)},
        bars,
        float(maximum),
    )


def _days_chart(rows: Sequence[Mapping[str, Any]]) -> Chart:
    bars = tuple(
        Bar(
            group_name(r),
            r["median_days"],
            _("%(days)s d") % {"days": format_number(r["median_days"])}
            if r["median_days"] is not None
            else _hidden(r, _("no data")),
        )
        for r in rows
    )
    maximum = max((b.value or 0 for b in bars), default=0)
    return Chart(
        "decision-days-region",
        _("Median days to a committee decision, by world region"),
        _("Median time from request to committee decision, in days, per region: %(values)s")
        % {"values": _list(bars)},
        bars,
        float(maximum),
    )


def _reciprocity_chart(rows: Sequence[Mapping[str, Any]]) -> Chart:
    bars = tuple(
        Bar(r["label"], r["index"], f"{r['index']:+.2f}" if r["index"] is not None else _hidden(r))
        for r in rows
    )
    return Chart(
        "reciprocity-country",
        _("Reciprocity index by country"),
        _("From -1 (only uses data) through 0 (balanced) to +1 (only contributes data): %(values)s")
        % {"values": _list(bars)},
        bars,
        1.0,
        signed=True,
    )


def group_name(row: Mapping[str, Any]) -> str:
    """A row's label in the language in effect (world regions and income groups; other labels
    are names)."""
    name = GROUP_NAMES.get(str(row.get("key")))
    return _(name) if name else str(row["label"])


def _hidden(row: Mapping[str, Any], otherwise: str | None = None) -> str:
    if row.get("suppressed"):
        return _("suppressed")
    return otherwise if otherwise is not None else _("n/a")


def _list(bars: Sequence[Bar]) -> str:
    return "; ".join(f"{b.label}: {b.text}" for b in bars) or _("no data in the period")


def _short(label: str) -> str:
    return label if len(label) <= 28 else label[:27] + "…"

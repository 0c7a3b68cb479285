"""A report document written as CSV, JSON, a self-contained HTML page, or a PDF.

Every format carries the same figures: the JSON is the document itself; the CSV has one line per
figure (section, grouping, key, label, measure, value); the HTML inlines its style and charts
(no external file, no script); the PDF (fpdf2, core fonts) prints the tables and the bars.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import jinja2
from fpdf import FPDF
from markupsafe import Markup

from accord.i18n.locales import SOURCE, language
from accord.i18n.translate import _, current_locale, translations, use_locale
from accord.reports.charts import group_name, report_charts, svg

Format = Literal["json", "csv", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("json", "csv", "html", "pdf")
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}
_TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
_SKIP = {"key", "label", "suppressed", "jurisdiction"}


def render(document: Mapping[str, Any], fmt: Format) -> bytes:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    if fmt == "csv":
        return to_csv(document).encode("utf-8")
    if fmt == "html":
        return to_html(document).encode("utf-8")
    return to_pdf(document)


def filename(document: Mapping[str, Any], fmt: Format) -> str:
    period = document["period"]
    return f"{document['kind']}-{period['from'][:10]}-{period['to'][:10]}.{fmt}"


def figures_of(document: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str, str, Any]]:
    """Every figure as (section, grouping, key, label, measure, value); hidden ones are None."""
    sections = document["sections"]
    for name, value in sections.items():
        if name == "breakdowns":
            for grouping, rows in value.items():
                yield from _rows(name, grouping, rows)
        elif name == "requests":
            yield from _rows(name, "all", [value])
        elif name == "small_actors":
            for measure, number in value.items():
                yield (name, "all", "all", "", measure, number)
        elif name == "ledger":
            for measure in ("first_seq", "last_seq", "tree_size", "root_hash"):
                yield (name, "all", "all", "", measure, value[measure])
            for event_type, number in value["entries"].items():
                yield (name, "entries", event_type, "", "count", number)
        elif name == "reciprocity":
            for grouping, rows in value.items():
                yield from _rows(name, grouping, rows)
        elif name in ("denial_reasons", "alerts"):
            yield from _rows(name, "all", value)
        else:
            yield from _rows(name, "all", value["rows"])
            for measure, number in value["total"].items():
                yield (name, "total", "all", "", measure, number)


def to_csv(document: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "grouping", "key", "label", "measure", "value"])
    for section, grouping, key, label, measure, value in figures_of(document):
        writer.writerow(
            [section, grouping, key, label, measure, "suppressed" if value is None else value]
        )
    return out.getvalue()


def to_html(document: Mapping[str, Any]) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    code = current_locale()
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(code), newstyle=True
    )
    template = environment.get_template("reports/export.html")
    return template.render(
        report=document,
        charts=chart_markup(document),
        group_name=group_name,
        lang=code,
        direction="rtl" if language(code).rtl else "ltr",
    )


def chart_markup(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each chart's title (shown as the figure's caption) and its SVG (escaped in ``svg``)."""
    return [
        {"title": chart.title, "svg": Markup(svg(chart))}  # noqa: S704
        for chart in report_charts(document)
    ]


def to_pdf(document: Mapping[str, Any]) -> bytes:
    """The PDF, with its charts in the reader's language when the core fonts can print it
    (Latin-1), else in English (decision 1005)."""
    with use_locale(current_locale() if _printable(current_locale()) else SOURCE):
        return _pdf(document)


def _printable(code: str) -> bool:
    with use_locale(code):
        sample = _("Grant rate by world region")
    try:
        sample.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _pdf(document: Mapping[str, Any]) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{document['kind'].title()} report")
    pdf.set_creator(f"Accord node {document['node']['node_id']}")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"{document['kind'].title()} report - {document['node']['name']}"))
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 10)
    period = document["period"]
    pdf.multi_cell(0, 5, _latin(_summary(document, period)))
    pdf.ln(2)
    for chart in report_charts(document):
        _pdf_chart(pdf, chart.title, [(b.label, b.value, b.text) for b in chart.bars], chart.signed)
    section = None
    for name, grouping, key, label, measure, value in figures_of(document):
        if (name, grouping) != section:
            section = (name, grouping)
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(0, 7, _latin(f"{name.replace('_', ' ')} - {grouping.replace('_', ' ')}"))
            pdf.ln(7)
            pdf.set_font("Helvetica", "", 9)
        shown = "suppressed" if value is None else str(value)
        pdf.cell(70, 5, _latin(_clip(label or key, 40)))
        pdf.cell(60, 5, _latin(measure))
        pdf.cell(0, 5, _latin(_clip(shown, 40)))
        pdf.ln(5)
    return bytes(pdf.output())


def _rows(section: str, grouping: str, rows: Any) -> Iterator[tuple[str, str, str, str, str, Any]]:
    for index, row in enumerate(rows):
        key = str(row.get("key", index))
        label = str(row.get("label", ""))
        for measure, value in row.items():
            if measure not in _SKIP:
                yield (section, grouping, key, label, measure, value)


def _summary(document: Mapping[str, Any], period: Mapping[str, str]) -> str:
    suppression = document["suppression"]
    hidden = (
        f"Counts below {suppression['min_count']} are suppressed."
        if suppression["applied"]
        else "Unsuppressed figures: not for publication."
    )
    return (
        f"Period {period['from']} to {period['to']} (as of {period['as_of']}); generated "
        f"{document['generated_at']}. Regions: {document['classification']['regions']}; income "
        f"groups: {document['classification']['income_groups']}. {hidden}"
    )


def _pdf_chart(
    pdf: FPDF, title: str, bars: list[tuple[str, float | None, str]], signed: bool
) -> None:
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin(title))
    pdf.ln(7)
    pdf.set_font("Helvetica", "", 9)
    maximum = max((abs(v) for _, v, _ in bars if v is not None), default=0) or 1.0
    width = 80.0
    for label, value, text in bars:
        x, y = pdf.get_x(), pdf.get_y()
        pdf.cell(55, 5, _latin(_clip(label, 30)))
        origin = x + 55 + (width / 2 if signed else 0)
        if value is not None:
            length = abs(value) / maximum * (width / 2 if signed else width)
            pdf.set_fill_color(180, 83, 9) if value < 0 else pdf.set_fill_color(29, 78, 216)
            pdf.rect(origin - length if value < 0 else origin, y + 1, max(length, 0.3), 3.5, "F")
        pdf.set_xy(x + 55 + width + 3, y)
        pdf.cell(0, 5, _latin(text))
        pdf.ln(5)
    pdf.ln(2)


def _latin(text: str) -> str:
    """The PDF core fonts speak Latin-1; anything else is replaced, never dropped silently."""
    return text.replace("…", "...").encode("latin-1", "replace").decode("latin-1")


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."

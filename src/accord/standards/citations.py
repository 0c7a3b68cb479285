"""Formatted citations of a version, produced by a CSL processor (citeproc-py) from CSL-JSON.

The styles are the official CSL styles shipped in ``standards/data/csl`` (APA 7th edition,
Chicago author-date, NLM/Vancouver), read once and kept. Each citation comes as plain text and
as HTML. citeproc-py's HTML formatter adds the style's markup but does not escape the data, so
the HTML rendering is made from a copy of the item whose strings are HTML-escaped first.
Vancouver's reference-list number is dropped: a single reference is not a numbered list.

Rendering is slow (tens of milliseconds a style), and a published version never changes, so
results are kept in a bounded cache keyed by the CSL item's canonical digest.

citeproc-py 0.11 does not implement the CSL 1.0.1 name option ``initialize="false"`` ("given
names are no longer initialized", CSL 1.0.1 §Name Options), which the Chicago style uses;
``_honour_initialize_false`` adds it so that Chicago prints full given names.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

import rfc8785
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.model import Name
from citeproc.source.json import CiteProcJSON

from accord.standards.csl import csl_item
from accord.standards.record import VersionRecord

STYLES_DIR = Path(__file__).parent / "data" / "csl"
_NUMBER = re.compile(r"^\s*(?:\d+\.|\[\d+\])\s*")
_LOCK = threading.Lock()
CACHE_SIZE = 4096
Output = Literal["text", "html"]
_CACHE: OrderedDict[tuple[str, Style, Output], str] = OrderedDict()


class Style(StrEnum):
    APA = "apa"
    CHICAGO = "chicago"
    VANCOUVER = "vancouver"


STYLE_FILES = {
    Style.APA: "apa.csl",
    Style.CHICAGO: "chicago-author-date.csl",
    Style.VANCOUVER: "nlm-citation-sequence.csl",
}
STYLE_TITLES = {
    Style.APA: "APA 7th edition",
    Style.CHICAGO: "Chicago author-date",
    Style.VANCOUVER: "Vancouver (NLM)",
}


@dataclass(frozen=True)
class FormattedCitation:
    style: Style
    title: str
    text: str
    html: str


def format_citation(record: VersionRecord, style: Style) -> FormattedCitation:
    """One reference-list entry for ``record`` in ``style``."""
    item = csl_item(record)
    return FormattedCitation(
        style=style,
        title=STYLE_TITLES[style],
        text=_cached_render(item, style, "text"),
        html=_cached_render(_escaped(item), style, "html"),
    )


def format_all(record: VersionRecord) -> list[FormattedCitation]:
    return [format_citation(record, style) for style in Style]


@cache
def _style(style: Style) -> CitationStylesStyle:
    return CitationStylesStyle(str(STYLES_DIR / STYLE_FILES[style]), validate=False)


def _cached_render(item: dict[str, Any], style: Style, output: Output) -> str:
    key = (hashlib.sha256(rfc8785.dumps(item)).hexdigest(), style, output)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rendered = _render(item, style, output)
    with _LOCK:
        _CACHE[key] = rendered
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rendered


def _render(item: dict[str, Any], style: Style, output: Output) -> str:
    source = CiteProcJSON([item])
    chosen = formatter.html if output == "html" else formatter.plain
    with _LOCK:  # a parsed style is shared; citeproc-py keeps state on it while rendering
        bibliography = CitationStylesBibliography(_style(style), source, chosen)
        bibliography.register(Citation([CitationItem(item["id"])]))
        entry = "".join(str(part) for part in bibliography.bibliography()[0])
    return _NUMBER.sub("", entry).strip()


def _escaped(value: Any, key: str = "") -> Any:
    """A copy of a CSL item with every string value (but the id) HTML-escaped."""
    if isinstance(value, dict):
        return {k: _escaped(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, str) and key != "id":
        return html.escape(value, quote=False)
    return value


_initialize = Name.initialize


def _honour_initialize_false(self: Name, given: str, mark: str, context: Any) -> str:
    if self.get("initialize") == "false":
        return given
    result: str = _initialize(self, given, mark, context)
    return result


Name.initialize = _honour_initialize_false

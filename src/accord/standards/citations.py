"""Formatted citations of a version, produced by a CSL processor (citeproc-py) from CSL-JSON.

The styles are the official CSL styles shipped in ``standards/data/csl`` (APA 7th edition,
Chicago author-date, NLM/Vancouver), read once and kept. Each citation comes as HTML (the
processor's own output, escaped by it) and as plain text (the same with its markup removed).
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
from typing import Any

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
_TAG = re.compile(r"<[^>]+>")
_LOCK = threading.Lock()
CACHE_SIZE = 4096
_CACHE: OrderedDict[tuple[str, Style], str] = OrderedDict()


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
    markup = _cached_render(csl_item(record), style)
    return FormattedCitation(
        style=style,
        title=STYLE_TITLES[style],
        text=html.unescape(_TAG.sub("", markup)),
        html=markup,
    )


def format_all(record: VersionRecord) -> list[FormattedCitation]:
    return [format_citation(record, style) for style in Style]


@cache
def _style(style: Style) -> CitationStylesStyle:
    return CitationStylesStyle(str(STYLES_DIR / STYLE_FILES[style]), validate=False)


def _cached_render(item: dict[str, Any], style: Style) -> str:
    key = (hashlib.sha256(rfc8785.dumps(item)).hexdigest(), style)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    markup = _render(item, style)
    with _LOCK:
        _CACHE[key] = markup
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return markup


def _render(item: dict[str, Any], style: Style) -> str:
    source = CiteProcJSON([item])
    with _LOCK:  # a parsed style is shared; citeproc-py keeps state on it while rendering
        bibliography = CitationStylesBibliography(_style(style), source, formatter.html)
        bibliography.register(Citation([CitationItem(item["id"])]))
        entry = "".join(str(part) for part in bibliography.bibliography()[0])
    return _NUMBER.sub("", entry).strip()


_initialize = Name.initialize


def _honour_initialize_false(self: Name, given: str, mark: str, context: Any) -> str:
    if self.get("initialize") == "false":
        return given
    result: str = _initialize(self, given, mark, context)
    return result


Name.initialize = _honour_initialize_false

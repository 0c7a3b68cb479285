"""BibTeX for a version: a ``@misc`` entry as DataCite's own BibTeX export writes datasets.

Values are escaped for (La)TeX: the ten special characters are backslash-escaped and the title
is braced so that BibTeX styles keep its capitalisation. Media type ``application/x-bibtex``.
"""

from __future__ import annotations

import re
import unicodedata

from accord.standards.csl import csl_name
from accord.standards.record import VersionRecord

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_KEY_WORD = re.compile(r"[a-z0-9]+")


def to_bibtex(record: VersionRecord) -> str:
    m = record.metadata
    fields = [
        ("author", " and ".join(_bib_name(c) for c in _names(record))),
        ("title", "{" + escape(m.title) + "}"),
        ("year", str(m.publication_year or (record.published_at or record.updated_at).year)),
        ("publisher", escape(m.publisher.name)),
        ("version", str(record.number)),
    ]
    if m.doi:
        fields.append(("doi", escape(m.doi)))
    fields.append(("url", record.identifier_url))
    keywords = [*m.keywords, *(s.subject for s in m.subjects)]
    if keywords:
        fields.append(("keywords", escape(", ".join(keywords))))
    fields.append(("note", escape(f"Persistent id {record.pid}")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{citation_key(record)},\n{body}\n}}\n"


def escape(text: str) -> str:
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def citation_key(record: VersionRecord) -> str:
    """``family + year + first title word`` in ASCII (``kamau2026household``), then the
    version, so that two versions of one dataset never share a key."""
    first = record.metadata.creators[0]
    name = csl_name(first)
    author = _ascii(str(name.get("family") or name.get("literal") or "anon"))
    words = _KEY_WORD.findall(_ascii(record.metadata.title))
    year = record.metadata.publication_year or (record.published_at or record.updated_at).year
    author_word = (_KEY_WORD.findall(author) or ["anon"])[0]
    return f"{author_word}{year}{words[0] if words else 'data'}v{record.number}"


def _names(record: VersionRecord) -> list[dict[str, str]]:
    return [csl_name(c) for c in record.metadata.creators]


def _bib_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + escape(name["literal"]) + "}"
    given = name.get("given")
    return escape(name["family"]) + (f", {escape(given)}" if given else "")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()

"""RIS (Research Information Systems tagged format) for a version: ``TY  - DATA``.

Each line is a two-letter tag, two spaces, a hyphen, a space and the value; lines end with
CRLF and the record with ``ER  -``. Tags follow DataCite's RIS export (``ET`` carries the
version). Media type ``application/x-research-info-systems``.
"""

from __future__ import annotations

from accord.standards.csl import csl_name
from accord.standards.record import VersionRecord


def to_ris(record: VersionRecord) -> str:
    m = record.metadata
    lines = [("TY", "DATA"), ("T1", m.title)]
    for creator in m.creators:
        name = csl_name(creator)
        if "literal" in name:
            lines.append(("AU", name["literal"]))
        else:
            lines.append(("AU", ", ".join(p for p in (name["family"], name.get("given")) if p)))
    year = m.publication_year or (record.published_at or record.updated_at).year
    lines += [("PY", str(year)), ("PB", m.publisher.name), ("ET", str(record.number))]
    if m.doi:
        lines.append(("DO", m.doi))
    lines.append(("UR", record.identifier_url))
    lines.append(("AB", m.abstract))
    lines += [("KW", k) for k in [*m.keywords, *(s.subject for s in m.subjects)]]
    lines += [("LA", language) for language in m.languages[:1]]
    lines.append(("ID", record.pid))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines) + "ER  - \r\n"


def _one_line(value: str) -> str:
    """RIS values are single lines: line breaks become spaces."""
    return " ".join(value.split())

"""Validation of DataCite XML against the official DataCite 4.7 XSD shipped with the package.

The schema is loaded once, offline (``no_network``), from ``standards/data/datacite``.
``validate_datacite`` raises ``InvalidInput`` naming every schema error with its line, and
returns nothing on success (STYLE.md §6).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

from accord.errors import FieldError, InvalidInput
from accord.standards.datacite_xml import parse_document

DATACITE_XSD = Path(__file__).parent / "data" / "datacite" / "kernel-4.7" / "metadata.xsd"
MAX_REPORTED = 20
_LOCK = threading.Lock()


@cache
def datacite_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(DATACITE_XSD), parser))


def validate_datacite(document: etree._Element | bytes) -> None:
    """Raise ``InvalidInput`` unless ``document`` is valid DataCite 4.7 XML."""
    root = parse_document(document) if isinstance(document, bytes) else document
    schema = datacite_schema()
    with _LOCK:  # an XMLSchema object keeps its error log: one validation at a time
        valid = schema.validate(root)
        errors = [FieldError(f"line {e.line}", e.message) for e in schema.error_log]
    if valid:
        return
    summary = "; ".join(f"{e.location}: {e.message}" for e in errors[:3])
    raise InvalidInput(
        f"the document is not valid DataCite 4.7 XML: {summary}",
        code="standards.invalid-datacite",
        hint="fix the listed elements; the schema is https://schema.datacite.org/meta/kernel-4.7/",
        errors=errors[:MAX_REPORTED],
    )

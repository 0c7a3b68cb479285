"""What the standards domain adds to a dataset's landing page: its schema.org ``Dataset``
JSON-LD, ready for a ``<script type="application/ld+json">`` element (Google Dataset Search
reads it there). The Signposting ``Link`` headers come from ``conneg.ContentNegotiation``.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from accord.catalog.models import DatasetVersion, VersionState
from accord.standards.records import record_of
from accord.standards.schema_org import to_schema_org


def schema_org_script(session: Session, version: DatasetVersion) -> str | None:
    """The JSON-LD text of a published version, safe inside ``<script>`` (no ``<``); None for
    drafts and withdrawn versions."""
    if version.state != VersionState.PUBLISHED:
        return None
    document = to_schema_org(record_of(session, version))
    return json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")

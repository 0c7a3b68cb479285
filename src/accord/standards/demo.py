"""Demo content of the standards domain: a draft imported from a DataCite record.

The record (``data/demo/datacite-record.xml``) goes through the same import as
``POST /api/v1/dataset-imports/datacite``, so the demo shows a steward an imported draft waiting
for its files. Importing this module also installs the harvest-index listener before the
catalog's demo datasets are published, so the demo node's OAI-PMH endpoint lists them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

import accord.standards.oai.index  # noqa: F401  (installs the harvest-index listener)
from accord.catalog.metadata import Tier
from accord.identity.principal import Principal
from accord.standards.imports import import_datacite_xml

if TYPE_CHECKING:
    from accord.demo import DemoContext

DEMO_RECORD = Path(__file__).parent / "data" / "demo" / "datacite-record.xml"


def seed_standards(session: Session, operator: Principal, context: DemoContext) -> None:
    import_datacite_xml(
        session, operator, DEMO_RECORD.read_bytes(), context.orgs["BR"], Tier.REGISTERED
    )

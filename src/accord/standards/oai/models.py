"""The harvest index: one row per published or withdrawn version, in the order harvesters see.

``seq`` orders records for harvesting. Each change of a version (publication, withdrawal)
takes the next value of ``oai_counter`` in the same transaction: the counter row stays locked
until commit, so sequence order is commit order and a harvester paging by ``seq`` never passes
a record that has yet to commit. A withdrawn version keeps its row as a deleted record
(``deletedRecord`` is ``persistent``). The metadata of published versions never changes, so
each row keeps its ``oai_dc`` and DataCite XML, and its header, ready to send.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, UTCDateTime


class OaiRecord(Base):
    __tablename__ = "oai_records"
    __table_args__ = (
        Index("ix_oai_records_datestamp", "datestamp"),
        Index("ix_oai_records_organisation", "organisation_id", "seq"),
        Index("ix_oai_records_tier", "tier", "seq"),
    )

    version_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    dataset_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(20))
    datestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    oai_dc: Mapped[str | None] = mapped_column(Text)
    datacite: Mapped[str | None] = mapped_column(Text)
    header: Mapped[str | None] = mapped_column(Text)
    """The record's ``<header>`` element as sent (None for rows indexed before it was kept)."""


class OaiCounter(Base):
    """A single row: the last ``seq`` handed out."""

    __tablename__ = "oai_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)

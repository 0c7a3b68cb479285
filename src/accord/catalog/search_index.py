"""Keeping ``catalog_search`` in step with the datasets: one row per dataset that has a
published or withdrawn version, describing its current version.

The current version is the newest published one; a dataset whose every public version was
withdrawn is indexed as withdrawn (shown only when a search asks for withdrawn versions).
The full-text index follows the row by itself (FTS5 triggers; a generated tsvector column).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accord.catalog.metadata import DatasetMetadata
from accord.catalog.models import (
    Dataset,
    DatasetVersion,
    FacetTally,
    SearchEntry,
    SearchSubject,
    VersionState,
)
from accord.catalog.pids import version_pid

SEPARATOR = "\n"
MAX_SUBJECT = 200


def search_values(
    *,
    dataset_id: str,
    version_id: str,
    number: int,
    pid: str,
    state: str,
    metadata: DatasetMetadata,
    organisation_name: str,
    published_at: datetime,
) -> dict[str, Any]:
    """The ``catalog_search`` column values for one version (used by the service and by bulk
    loaders, so that both fill the index the same way)."""
    values = {
        "dataset_id": dataset_id,
        "version_id": version_id,
        "number": number,
        "pid": pid,
        "state": state,
        "title": metadata.title,
        # Titles in other languages are searched with the descriptions (every language matches).
        "description": SEPARATOR.join(
            [*translated_titles(metadata), *(d.description for d in metadata.descriptions)]
        ),
        "subjects": SEPARATOR.join(subject_values(metadata)),
        "keywords": SEPARATOR.join(metadata.keywords),
        "creators": SEPARATOR.join(c.name for c in metadata.creators),
        "tier": metadata.tier.value,
        "licence": metadata.licence,
        "country": metadata.country_of_origin,
        "organisation_id": metadata.organisation_id,
        "organisation_name": organisation_name,
        "year": metadata.publication_year or published_at.year,
        "published_at": published_at,
    }
    values["facet_keys"] = facet_keys(values, subject_values(metadata))
    return values


FACET_CODES = {
    "t": "tier",
    "l": "licence",
    "c": "country",
    "o": "organisation",
    "y": "year",
    "s": "subject",
}


def facet_keys(entry: Mapping[str, Any], subjects: Sequence[str]) -> str:
    """One line per facet value of an entry: a one-letter facet code, then the value (an
    organisation's line also carries its name after a tab). Searches count these lines."""
    tokens = [
        "t" + escape_key(entry["tier"]),
        "l" + escape_key(entry["licence"]),
        "o" + escape_key(entry["organisation_id"]) + "\t" + escape_key(entry["organisation_name"]),
        "y" + str(entry["year"]),
    ]
    if entry["country"]:
        tokens.append("c" + escape_key(entry["country"]))
    tokens += ["s" + escape_key(s) for s in subjects]
    return SEPARATOR.join(tokens)


def escape_key(value: str) -> str:
    """A facet value on one line: backslash, newline and tab escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def unescape_key(value: str) -> str:
    if "\\" not in value:
        return value
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            char = {"n": "\n", "t": "\t"}.get(nxt := next(chars, ""), nxt)
        out.append(char)
    return "".join(out)


def translated_titles(metadata: DatasetMetadata) -> list[str]:
    """Every title but the main one (translations, alternative titles, subtitles)."""
    return [t.title for t in metadata.titles if t.title != metadata.title]


def subject_values(metadata: DatasetMetadata) -> list[str]:
    """Distinct subject terms, in order, as facet values."""
    seen: dict[str, None] = {}
    for subject in metadata.subjects:
        seen.setdefault(subject.subject[:MAX_SUBJECT], None)
    return list(seen)


def reindex_dataset(
    session: Session, dataset: Dataset, *, node_id: str, organisation_name: str
) -> None:
    """Point the dataset's search row at its current public version (or remove it)."""
    current = current_public_version(dataset)
    existing = session.scalar(select(SearchEntry).where(SearchEntry.dataset_id == dataset.id))
    if existing is not None:
        _tally(session, existing.state, entry_facets(existing, _subjects_of(session, existing)), -1)
    if current is None:
        if existing is not None:
            session.delete(existing)
        return
    metadata = DatasetMetadata.model_validate(current.document)
    assert current.published_at is not None
    values = search_values(
        dataset_id=dataset.id,
        version_id=current.id,
        number=current.number,
        pid=version_pid(node_id, dataset.id, current.number),
        state=current.state,
        metadata=metadata,
        organisation_name=organisation_name,
        published_at=current.published_at,
    )
    if existing is None:
        existing = SearchEntry(**values)
        session.add(existing)
    else:
        for name, value in values.items():
            setattr(existing, name, value)
    session.flush()
    session.execute(delete(SearchSubject).where(SearchSubject.search_id == existing.id))
    subjects = subject_values(metadata)
    if subjects:
        session.execute(
            insert(SearchSubject), [{"search_id": existing.id, "subject": s} for s in subjects]
        )
    _tally(session, existing.state, entry_facets(existing, subjects), +1)


def entry_facets(entry: Any, subjects: Sequence[str]) -> list[tuple[str, str, str]]:
    """The (facet, value, label) triples one search entry counts towards; ``("", "", "")`` is
    the total."""
    facets = [
        ("", "", ""),
        ("tier", entry.tier, entry.tier),
        ("licence", entry.licence, entry.licence),
        ("organisation", entry.organisation_id, entry.organisation_name),
        ("year", str(entry.year), str(entry.year)),
    ]
    if entry.country:
        facets.append(("country", entry.country, entry.country))
    return facets + [("subject", s, s) for s in subjects]


def rebuild_facet_counts(session: Session) -> None:
    """Recount ``catalog_facet_counts`` from ``catalog_search`` (after a bulk load)."""
    session.execute(delete(FacetTally))
    e, sub = SearchEntry, SearchSubject
    year = cast(e.year, String)
    groups: list[tuple[str, Any, Any]] = [
        ("tier", e.tier, e.tier),
        ("licence", e.licence, e.licence),
        ("country", e.country, e.country),
        ("organisation", e.organisation_id, func.max(e.organisation_name)),
        ("year", year, year),
    ]
    columns = ["state", "facet", "value", "label", "count"]
    session.execute(
        insert(FacetTally).from_select(
            columns,
            select(e.state, literal(""), literal(""), literal(""), func.count()).group_by(e.state),
        )
    )
    for facet, value, label in groups:
        chosen = select(e.state, literal(facet), value, label, func.count())
        chosen = chosen.where(value.is_not(None)).group_by(e.state, value)
        session.execute(insert(FacetTally).from_select(columns, chosen))
    subjects = (
        select(e.state, literal("subject"), sub.subject, sub.subject, func.count())
        .join(e, e.id == sub.search_id)
        .group_by(e.state, sub.subject)
    )
    session.execute(insert(FacetTally).from_select(columns, subjects))


def _subjects_of(session: Session, entry: SearchEntry) -> list[str]:
    return list(
        session.scalars(select(SearchSubject.subject).where(SearchSubject.search_id == entry.id))
    )


def _tally(
    session: Session, state: str, facets: Sequence[tuple[str, str, str]], delta: int
) -> None:
    """Add ``delta`` to each facet value's count (an upsert on both back ends)."""
    rows = [
        {"state": state, "facet": f, "value": v[:300], "label": label[:300], "count": delta}
        for f, v, label in facets
    ]
    make = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = make(FacetTally)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["state", "facet", "value"],
            set_={
                "count": FacetTally.count + statement.excluded.count,
                "label": statement.excluded.label,
            },
        ),
        rows,
    )


def current_public_version(dataset: Dataset) -> DatasetVersion | None:
    """The newest published version, else the newest withdrawn one, else None."""
    for state in (VersionState.PUBLISHED, VersionState.WITHDRAWN):
        versions = [v for v in dataset.versions if v.state == state]
        if versions:
            return max(versions, key=lambda v: v.number)
    return None

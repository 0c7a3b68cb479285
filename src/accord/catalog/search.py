"""Catalogue search: full text over title, description, subjects, keywords and creators, with
facets (tier, licence, subject, country, organisation, year), counts, paging and sorting.

The full-text part has two back ends behind one small protocol, ``TextIndex``: SQLite FTS5
(``catalog_fts``, bm25 ranking with column weights) and PostgreSQL full text (the generated
``document`` tsvector with its GIN index, ``ts_rank_cd`` ranking). Everything else (filters,
facet counts, ordering, paging) is the same SQL on both, so both answer with the same contract:

- the words of the query must all match (after stemming); an empty query matches everything;
- values within one facet are alternatives (OR), facets combine with AND;
- facet counts are computed over the whole result set, under every filter;
- ``relevance`` (the default with words) ranks title hits above subject and keyword hits above
  creator hits above description hits; ``newest`` is the default without words.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    FromClause,
    Select,
    String,
    asc,
    bindparam,
    cast,
    desc,
    func,
    literal,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy.orm import Session

from accord.catalog.models import SearchEntry, SearchSubject, VersionState
from accord.errors import FieldError, InvalidInput

FACETS = ("tier", "licence", "subject", "country", "organisation", "year")
MAX_LIMIT = 100
MAX_FACET_VALUES = 20
MAX_QUERY_WORDS = 12
_WORD = re.compile(r"\w+", re.UNICODE)


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: Sort | None = None
    limit: int = 20
    offset: int = 0
    include_withdrawn: bool = False

    @property
    def words(self) -> list[str]:
        return query_words(self.text)

    @property
    def effective_sort(self) -> Sort:
        if self.sort is None or (self.sort is Sort.RELEVANCE and not self.words):
            return Sort.RELEVANCE if self.words else Sort.NEWEST
        return self.sort


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    entries: list[SearchEntry]
    total: int
    facets: dict[str, list[FacetCount]]
    next_offset: int | None


def query_words(text: str) -> list[str]:
    """The words of a query (letters and digits), lower-cased, at most ``MAX_QUERY_WORDS``."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_QUERY_WORDS]


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run ``query``: one statement for the page, one for the total and every facet's counts."""
    index = text_index_for(session)
    limit = max(1, min(query.limit, MAX_LIMIT))
    match = _match(index, query.words)
    conditions = _conditions(query)
    if match.condition is not None:
        conditions.append(match.condition)
    page = (
        select(SearchEntry)
        .select_from(match.source)
        .where(*conditions)
        .order_by(*_ordering(query.effective_sort, match.rank))
        .limit(limit + 1)
        .offset(max(0, query.offset))
    )
    entries = list(session.scalars(page).all())
    total, facets = _facet_counts(session, match.source, conditions)
    more = len(entries) > limit
    return SearchResult(
        entries=entries[:limit],
        total=total,
        facets=facets,
        next_offset=query.offset + limit if more else None,
    )


# --- the two full-text back ends -------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    """Rows matching every word: a FROM clause, an extra WHERE condition, and a rank (lower is
    better)."""

    source: FromClause
    condition: ColumnElement[bool] | None
    rank: ColumnElement[Any] | None


class TextIndex(Protocol):
    def matches(self, words: Sequence[str]) -> TextMatch: ...


class Fts5Index:
    """SQLite FTS5: ``catalog_fts MATCH '"w1" "w2"'`` (implicit AND), ranked by bm25."""

    _fts = table("catalog_fts", literal_column("rowid"), literal_column("rank"))

    def matches(self, words: Sequence[str]) -> TextMatch:
        expression = " ".join(f'"{w}"' for w in words)
        hits = (
            select(
                literal_column("catalog_fts.rowid").label("rowid"),
                literal_column("catalog_fts.rank").label("rank"),
            )
            .select_from(self._fts)
            .where(literal_column("catalog_fts").op("MATCH")(bindparam("fts_query", expression)))
            .subquery("hits")
        )
        source = SearchEntry.__table__.join(hits, hits.c.rowid == SearchEntry.id)
        return TextMatch(source, None, hits.c.rank)


class PostgresTextIndex:
    """PostgreSQL: ``document @@ plainto_tsquery('english', …)``, ranked by ``ts_rank_cd``."""

    def matches(self, words: Sequence[str]) -> TextMatch:
        document: ColumnElement[Any] = literal_column("catalog_search.document")
        tsquery = func.plainto_tsquery(
            literal_column("'english'::regconfig"), bindparam("ts_query", " ".join(words))
        )
        condition = document.op("@@", return_type=Boolean)(tsquery)
        return TextMatch(SearchEntry.__table__, condition, -func.ts_rank_cd(document, tsquery))


def text_index_for(session: Session) -> TextIndex:
    dialect = session.get_bind().dialect.name
    return PostgresTextIndex() if dialect == "postgresql" else Fts5Index()


# --- statement parts -------------------------------------------------------------------------


def _match(index: TextIndex, words: Sequence[str]) -> TextMatch:
    if not words:
        return TextMatch(SearchEntry.__table__, None, None)
    return index.matches(words)


def _conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    states = [VersionState.PUBLISHED.value]
    if query.include_withdrawn:
        states.append(VersionState.WITHDRAWN.value)
    conditions: list[ColumnElement[bool]] = [SearchEntry.state.in_(states)]
    for facet, values in query.filters.items():
        if values:
            conditions.append(_facet_condition(facet, values))
    return conditions


def _facet_condition(facet: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    if facet == "subject":
        return SearchEntry.id.in_(
            select(SearchSubject.search_id).where(SearchSubject.subject.in_(values))
        )
    if facet == "year":
        return SearchEntry.year.in_([_year(v) for v in values])
    column = {
        "tier": SearchEntry.tier,
        "licence": SearchEntry.licence,
        "country": SearchEntry.country,
        "organisation": SearchEntry.organisation_id,
    }.get(facet)
    if column is None:
        raise InvalidInput(
            f"{facet!r} is not a facet; facets are {', '.join(FACETS)}",
            code="catalog.unknown-facet",
            errors=[FieldError(facet, "not a facet")],
        )
    return column.in_(values)


def _year(value: str) -> int:
    if not value.isdigit() or len(value) != 4:
        raise InvalidInput(
            f"year must be four digits, not {value[:20]!r}",
            code="catalog.bad-facet-value",
            errors=[FieldError("year", "four digits, e.g. 2024")],
        )
    return int(value)


def _ordering(sort: Sort, rank: ColumnElement[Any] | None) -> list[Any]:
    if sort is Sort.RELEVANCE and rank is not None:
        return [asc(rank), desc(SearchEntry.published_at), asc(SearchEntry.id)]
    if sort is Sort.OLDEST:
        return [asc(SearchEntry.published_at), asc(SearchEntry.id)]
    if sort is Sort.TITLE:
        return [asc(func.lower(SearchEntry.title)), asc(SearchEntry.id)]
    return [desc(SearchEntry.published_at), desc(SearchEntry.id)]


def _facet_counts(
    session: Session, source: FromClause, conditions: list[ColumnElement[bool]]
) -> tuple[int, dict[str, list[FacetCount]]]:
    """The total and every facet's value counts, in one statement over one materialised set."""
    e = SearchEntry
    matched = (
        select(e.id, e.tier, e.licence, e.country, e.organisation_id, e.organisation_name, e.year)
        .select_from(source)
        .where(*conditions)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    m = matched.c
    subject = SearchSubject.__table__.c
    parts: list[Select[Any]] = [
        _group("", literal(""), literal(""), matched),
        _group("tier", m.tier, m.tier, matched),
        _group("licence", m.licence, m.licence, matched),
        _group("country", m.country, m.country, matched),
        _group("organisation", m.organisation_id, m.organisation_name, matched),
        _group("year", cast(m.year, String), cast(m.year, String), matched),
        _group(
            "subject",
            subject.subject,
            subject.subject,
            matched.join(SearchSubject.__table__, subject.search_id == m.id),
        ),
    ]
    rows = session.execute(union_all(*parts)).all()
    return _collect(rows)


def _group(
    facet: str, value: ColumnElement[Any], label: ColumnElement[Any], source: FromClause
) -> Select[Any]:
    stmt = select(
        literal(facet).label("facet"),
        value.label("value"),
        label.label("label"),
        func.count().label("n"),
    ).select_from(source)
    if facet:
        stmt = stmt.where(value.is_not(None)).group_by(value, label)
    return stmt


def _collect(rows: Sequence[Any]) -> tuple[int, dict[str, list[FacetCount]]]:
    total = 0
    facets: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    for facet, value, label, count in rows:
        if facet == "":
            total = int(count)
        else:
            facets[facet].append(FacetCount(str(value), str(label), int(count)))
    for name, counts in facets.items():
        counts.sort(key=lambda c: (-c.count, c.label.lower()))
        facets[name] = counts[:MAX_FACET_VALUES]
    return total, facets


# --- cursors -------------------------------------------------------------------------------


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "o" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "the cursor is not one this node handed out",
            code="catalog.bad-cursor",
            errors=[FieldError("cursor", "use next_cursor from a previous page")],
        ) from None

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

A search with words runs one statement over one materialised set of matches for the total, the
facet counts and the page's ids, then fetches those rows by id. Without words the page is an
index walk, and the unfiltered catalogue's counts come from ``catalog_facet_counts``. Statements
are built once per query *shape* (back end, words or not, sort, which facets filter) and cached;
values travel as bound parameters.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    CompoundSelect,
    FromClause,
    Integer,
    Row,
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
from sqlalchemy.sql import Executable

from accord.catalog.models import FacetTally, SearchEntry, SearchSubject, VersionState
from accord.errors import FieldError, InvalidInput

FACETS = ("tier", "licence", "subject", "country", "organisation", "year")
MAX_LIMIT = 100
MAX_FACET_VALUES = 20
MAX_QUERY_WORDS = 12
PAGE = "page"  # the marker of page rows among the facet rows
_WORD = re.compile(r"\w+", re.UNICODE)
_ENTRY = SearchEntry.__table__
_SUBJECTS = SearchSubject.__table__
_COLUMNS = {
    "tier": _ENTRY.c.tier,
    "licence": _ENTRY.c.licence,
    "country": _ENTRY.c.country,
    "organisation": _ENTRY.c.organisation_id,
    "year": _ENTRY.c.year,
}


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
    """``entries`` are ``catalog_search`` rows (attribute access, as ``SearchEntry``)."""

    entries: list[Row[Any]]
    total: int
    facets: dict[str, list[FacetCount]]
    next_offset: int | None


def query_words(text: str) -> list[str]:
    """The words of a query (letters and digits), lower-cased, at most ``MAX_QUERY_WORDS``."""
    return [w.lower() for w in _WORD.findall(text)][:MAX_QUERY_WORDS]


def search(session: Session, query: SearchQuery) -> SearchResult:
    """Run ``query``: one statement for the page, one for the total and every facet's counts."""
    index = text_index_for(session)
    words = query.words
    limit = max(1, min(query.limit, MAX_LIMIT))
    filtered = {k: v for k, v in query.filters.items() if v}
    shape = _Shape(index, bool(words), query.effective_sort, tuple(sorted(filtered)))
    params = _parameters(query, filtered, words, index)
    statements = _statements(shape)
    window = {"page_limit": limit + 1, "page_offset": max(0, query.offset)}
    rows = session.execute(statements.counts, {**params, **window}).all()
    total, facets, page_ids = _collect(rows)
    if statements.page is not None:
        entries = list(session.execute(statements.page, {**params, **window}).all())
    else:
        entries = _entries_by_id(session, statements.by_id, page_ids)
    return SearchResult(
        entries=entries[:limit],
        total=total,
        facets=facets,
        next_offset=query.offset + limit if len(entries) > limit else None,
    )


def _entries_by_id(session: Session, statement: Select[Any], ids: list[int]) -> list[Row[Any]]:
    if not ids:
        return []
    found = {row.id: row for row in session.execute(statement, {"ids": ids})}
    return [found[i] for i in ids if i in found]


# --- the two full-text back ends -------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    """Rows matching every word: a FROM clause, an extra WHERE condition, and a rank (lower is
    better)."""

    source: FromClause
    condition: ColumnElement[bool] | None
    rank: ColumnElement[Any] | None


class TextIndex(Protocol):
    name: str

    def matches(self, *, ranked: bool) -> TextMatch:
        """Rows matching the bound ``text_query``; ``ranked`` asks for a rank (a page)."""
        ...

    def query_value(self, words: Sequence[str]) -> str:
        """The value bound to ``text_query`` for these words."""
        ...


class Fts5Index:
    """SQLite FTS5: ``catalog_fts MATCH '"w1" "w2"'`` (implicit AND), ranked by bm25.

    The hits are a materialised CTE so that SQLite's planner always starts from the full-text
    index and looks rows up by id, instead of scanning ``catalog_search`` through a facet index
    and probing the full-text index once per row.
    """

    name = "sqlite"
    _fts = table("catalog_fts", literal_column("rowid"), literal_column("rank"))

    def matches(self, *, ranked: bool) -> TextMatch:
        columns: list[ColumnElement[Any]] = [literal_column("catalog_fts.rowid").label("rowid")]
        if ranked:
            columns.append(literal_column("catalog_fts.rank").label("rank"))
        hits = (
            select(*columns)
            .select_from(self._fts)
            .where(literal_column("catalog_fts").op("MATCH")(bindparam("text_query")))
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        source = hits.join(_ENTRY, hits.c.rowid == _ENTRY.c.id)
        return TextMatch(source, None, hits.c.rank if ranked else None)

    def query_value(self, words: Sequence[str]) -> str:
        return " ".join(f'"{w}"' for w in words)


class PostgresTextIndex:
    """PostgreSQL: ``document @@ plainto_tsquery('english', …)``, ranked by ``ts_rank_cd``."""

    name = "postgresql"

    def matches(self, *, ranked: bool) -> TextMatch:
        document: ColumnElement[Any] = literal_column("catalog_search.document")
        tsquery = func.plainto_tsquery(
            literal_column("'english'::regconfig"), bindparam("text_query")
        )
        condition = document.op("@@", return_type=Boolean)(tsquery)
        rank = -func.ts_rank_cd(document, tsquery) if ranked else None
        return TextMatch(_ENTRY, condition, rank)

    def query_value(self, words: Sequence[str]) -> str:
        return " ".join(words)


_INDEXES: dict[str, TextIndex] = {"sqlite": Fts5Index(), "postgresql": PostgresTextIndex()}


def text_index_for(session: Session) -> TextIndex:
    return _INDEXES.get(session.get_bind().dialect.name, _INDEXES["sqlite"])


# --- statements, built once per shape -----------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    index: TextIndex
    has_words: bool
    sort: Sort
    facets: tuple[str, ...]


@dataclass(frozen=True)
class _Statements:
    """``counts``: total, facet counts and (with words) the page's ids, in order; ``page``:
    the page itself when it is cheaper on its own (no words: an index walk); ``by_id``: rows by
    id for a page of ids."""

    counts: Executable
    page: Select[Any] | None
    by_id: Select[Any]


@lru_cache(maxsize=512)
def _statements(shape: _Shape) -> _Statements:
    ranked = shape.has_words and shape.sort is Sort.RELEVANCE
    match = _match(shape, ranked=ranked)
    conditions = [*_conditions(shape.facets), *_present(match.condition)]
    by_id = select(*_ENTRY.c).where(_ENTRY.c.id.in_(bindparam("ids", expanding=True)))
    if not shape.has_words:
        page = (
            select(*_ENTRY.c)
            .where(*conditions)
            .order_by(*_ordering(shape.sort, None, _ENTRY.c))
            .limit(bindparam("page_limit", type_=Integer))
            .offset(bindparam("page_offset", type_=Integer))
        )
        counts = (
            _facet_counts(match, conditions, shape.sort, paged=False)
            if shape.facets
            else _tallied_counts()
        )
        return _Statements(counts, page, by_id)
    return _Statements(_facet_counts(match, conditions, shape.sort, paged=True), None, by_id)


def _match(shape: _Shape, *, ranked: bool) -> TextMatch:
    if not shape.has_words:
        return TextMatch(_ENTRY, None, None)
    return shape.index.matches(ranked=ranked)


def _present(condition: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [] if condition is None else [condition]


def _conditions(facets: tuple[str, ...]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        _ENTRY.c.state.in_(bindparam("states", expanding=True))
    ]
    for facet in facets:
        values: BindParameter[Any] = bindparam(f"f_{facet}", expanding=True)
        if facet == "subject":
            subjects = select(_SUBJECTS.c.search_id).where(_SUBJECTS.c.subject.in_(values))
            conditions.append(_ENTRY.c.id.in_(subjects))
        else:
            conditions.append(_COLUMNS[facet].in_(values))
    return conditions


def _parameters(
    query: SearchQuery,
    filtered: Mapping[str, tuple[str, ...]],
    words: Sequence[str],
    index: TextIndex,
) -> dict[str, Any]:
    states = [VersionState.PUBLISHED.value]
    if query.include_withdrawn:
        states.append(VersionState.WITHDRAWN.value)
    params: dict[str, Any] = {"states": states}
    if words:
        params["text_query"] = index.query_value(words)
    for facet, values in filtered.items():
        if facet not in FACETS:
            raise InvalidInput(
                f"{facet!r} is not a facet; facets are {', '.join(FACETS)}",
                code="catalog.unknown-facet",
                errors=[FieldError(facet, "not a facet")],
            )
        params[f"f_{facet}"] = [_year(v) for v in values] if facet == "year" else list(values)
    return params


def _year(value: str) -> int:
    if not value.isdigit() or len(value) != 4:
        raise InvalidInput(
            f"year must be four digits, not {value[:20]!r}",
            code="catalog.bad-facet-value",
            errors=[FieldError("year", "four digits, e.g. 2024")],
        )
    return int(value)


def _ordering(sort: Sort, rank: ColumnElement[Any] | None, c: Any) -> list[Any]:
    """ORDER BY terms over columns ``c`` (of ``catalog_search`` or of the matched set)."""
    if sort is Sort.RELEVANCE and rank is not None:
        return [asc(rank), desc(c.published_at), asc(c.id)]
    if sort is Sort.OLDEST:
        return [asc(c.published_at), asc(c.id)]
    if sort is Sort.TITLE:
        return [asc(func.lower(c.title)), asc(c.id)]
    return [desc(c.published_at), desc(c.id)]


def _facet_counts(
    match: TextMatch, conditions: list[ColumnElement[bool]], sort: Sort, *, paged: bool
) -> CompoundSelect[Any]:
    """The total, every facet's value counts and (``paged``) the ids of the requested page with
    their positions, as one statement over one materialised set of matches: the full-text index
    is read once."""
    e = _ENTRY.c
    rank = match.rank if match.rank is not None else literal(None).label("rank")
    matched = (
        select(
            e.id,
            e.tier,
            e.licence,
            e.country,
            e.organisation_id,
            e.organisation_name,
            e.year,
            e.published_at,
            e.title,
            rank.label("rank"),
        )
        .select_from(match.source)
        .where(*conditions)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    m = matched.c
    subject = _SUBJECTS.c
    year = cast(m.year, String)
    parts = [
        _group("", literal(""), literal(""), matched),
        _group("tier", m.tier, m.tier, matched),
        _group("licence", m.licence, m.licence, matched),
        _group("country", m.country, m.country, matched),
        _group("organisation", m.organisation_id, m.organisation_name, matched),
        _group("year", year, year, matched),
        _group(
            "subject",
            subject.subject,
            subject.subject,
            matched.join(_SUBJECTS, subject.search_id == m.id),
        ),
    ]
    if paged:
        parts.append(_page_ids(matched, sort, match.rank is not None))
    return union_all(*parts)


def _tallied_counts() -> Executable:
    """The unfiltered catalogue's counts, read from ``catalog_facet_counts`` (kept in step by
    ``search_index``) instead of counting every entry."""
    t = FacetTally
    total = func.sum(t.count)
    return (
        select(t.facet, t.value, func.max(t.label), total)
        .where(t.state.in_(bindparam("states", expanding=True)))
        .group_by(t.facet, t.value)
        .having(total > 0)
    )


def _page_ids(matched: Any, sort: Sort, ranked: bool) -> Select[Any]:
    """``('page', id, '', position)`` for the rows of the requested page."""
    m = matched.c
    order = _ordering(sort, m.rank if ranked else None, m)
    window = (
        select(m.id, func.row_number().over(order_by=order).label("position"))
        .order_by(*order)
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
        .subquery("page")
    )
    return select(
        literal(PAGE).label("facet"),
        cast(window.c.id, String).label("value"),
        literal("").label("label"),
        window.c.position.label("n"),
    )


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


def _collect(rows: Sequence[Any]) -> tuple[int, dict[str, list[FacetCount]], list[int]]:
    """Total, facet counts (largest first, at most ``MAX_FACET_VALUES``) and page ids in order."""
    total = 0
    facets: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    page: list[tuple[int, int]] = []
    for facet, value, label, count in rows:
        if facet == "":
            total = int(count)
        elif facet == PAGE:
            page.append((int(count), int(value)))
        else:
            facets[facet].append(FacetCount(str(value), str(label), int(count)))
    for name, counts in facets.items():
        counts.sort(key=lambda c: (-c.count, c.label.lower()))
        facets[name] = counts[:MAX_FACET_VALUES]
    return total, facets, [entry_id for _, entry_id in sorted(page)]


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

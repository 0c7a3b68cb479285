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

A search runs two statements: the ``facet_keys`` of every match, counted in one pass in
Python (total and every facet at once, the same code on both back ends), and the page. Without
words or filters the counts come from ``catalog_facet_counts`` instead. Statements are built
once per query *shape* (back end, words or not, sort, which facets filter) and cached; values
travel as bound parameters.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    FromClause,
    Integer,
    Row,
    Select,
    asc,
    bindparam,
    desc,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from accord.catalog.models import FacetTally, SearchEntry, SearchSubject, VersionState
from accord.catalog.search_index import FACET_CODES, SEPARATOR, unescape_key
from accord.errors import FieldError, InvalidInput

FACETS = ("tier", "licence", "subject", "country", "organisation", "year")
MAX_LIMIT = 100
MAX_FACET_VALUES = 20
MAX_QUERY_WORDS = 12
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
    """Run ``query``: one statement for the total and every facet's counts, one for the page."""
    index = text_index_for(session)
    words = query.words
    limit = max(1, min(query.limit, MAX_LIMIT))
    filtered = {k: v for k, v in query.filters.items() if v}
    shape = _Shape(index, bool(words), query.effective_sort, tuple(sorted(filtered)))
    params = _parameters(query, filtered, words, index)
    statements = _statements(shape)
    offset = max(0, query.offset)
    if statements.listed:
        rows = session.execute(statements.counts, params).all()
        total, facets = count_facets([keys for _, keys in rows])
        page_ids = [entry_id for entry_id, _ in rows[offset : offset + limit + 1]]
    else:
        counted = session.execute(statements.counts, params)
        if statements.tallied:
            total, facets = _collect_tallies(counted.all())
        else:
            total, facets = count_facets(counted.scalars().all())
        window = {"page_limit": limit + 1, "page_offset": offset}
        page_ids = list(session.execute(statements.page, {**params, **window}).scalars())
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


def count_facets(keys: Sequence[str]) -> tuple[int, dict[str, list[FacetCount]]]:
    """The total and each facet's counts (largest first, at most ``MAX_FACET_VALUES``) from the
    ``facet_keys`` of every matching entry: one pass over one short string per match."""
    lines = Counter(SEPARATOR.join(keys).split(SEPARATOR))
    lines.pop("", None)
    found: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    for line, count in lines.items():
        name = FACET_CODES.get(line[:1])
        if name is None:
            continue
        value, _, label = line[1:].partition("\t")
        value = unescape_key(value)
        found[name].append(FacetCount(value, unescape_key(label) if label else value, count))
    return len(keys), {name: _largest(counts) for name, counts in found.items()}


def _largest(counts: list[FacetCount]) -> list[FacetCount]:
    counts.sort(key=lambda c: (-c.count, c.label.lower()))
    return counts[:MAX_FACET_VALUES]


# --- the two full-text back ends -------------------------------------------------------------


@dataclass(frozen=True)
class TextMatch:
    """Rows matching every word: a FROM clause, an extra WHERE condition, and (``ranked``) the
    ORDER BY terms of relevance, best first."""

    source: FromClause
    condition: ColumnElement[bool] | None
    relevance: tuple[ColumnElement[Any], ...] = ()


class TextIndex(Protocol):
    name: str

    def matches(self, *, ranked: bool, narrowed: bool = False) -> TextMatch:
        """Rows matching the bound ``text_query``; ``ranked`` asks for relevance order (a
        page), otherwise the cheapest way to list every match (counting); ``narrowed`` says
        that facet filters will drop many of the matches."""
        ...

    def query_value(self, words: Sequence[str]) -> str:
        """The value bound to ``text_query`` for these words."""
        ...


class Fts5Index:
    """SQLite FTS5: ``catalog_fts MATCH '"w1" "w2"'`` (implicit AND), ranked by bm25.

    The matches are a materialised CTE, so that SQLite's planner always starts from the
    full-text index and looks rows up by id, instead of scanning ``catalog_search`` through a
    facet index and probing the full-text index once per row. To count, the CTE holds rowids
    alone (a fraction of the cost of ranking every match). An unfiltered ranked page orders by
    FTS5's own ``rank`` column alone, which FTS5 sorts itself, so SQLite looks up only the rows
    of the page (equal ranks come in the order FTS5 gives them, the same every time); under
    facet filters, which drop most matches, the ranked CTE is joined and what is left sorted.
    """

    name = "sqlite"
    _fts = table("catalog_fts", literal_column("rowid"), literal_column("rank"))

    def matches(self, *, ranked: bool, narrowed: bool = False) -> TextMatch:
        match = literal_column("catalog_fts").op("MATCH")(bindparam("text_query"))
        if ranked and not narrowed:
            source = self._fts.join(_ENTRY, _ENTRY.c.id == literal_column("catalog_fts.rowid"))
            return TextMatch(source, match, (asc(literal_column("catalog_fts.rank")),))
        columns: list[ColumnElement[Any]] = [literal_column("catalog_fts.rowid").label("rowid")]
        if ranked:
            columns.append(literal_column("catalog_fts.rank").label("rank"))
        hits = (
            select(*columns)
            .select_from(self._fts)
            .where(match)
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        source = hits.join(_ENTRY, hits.c.rowid == _ENTRY.c.id)
        if not ranked:
            return TextMatch(source, None)
        relevance = (asc(hits.c.rank), desc(_ENTRY.c.published_at), asc(_ENTRY.c.id))
        return TextMatch(source, None, relevance)

    def query_value(self, words: Sequence[str]) -> str:
        return " ".join(f'"{w}"' for w in words)


class PostgresTextIndex:
    """PostgreSQL: ``document @@ plainto_tsquery('english', …)``, ranked by ``ts_rank_cd``."""

    name = "postgresql"

    def matches(self, *, ranked: bool, narrowed: bool = False) -> TextMatch:
        document: ColumnElement[Any] = literal_column("catalog_search.document")
        tsquery = func.plainto_tsquery(
            literal_column("'english'::regconfig"), bindparam("text_query")
        )
        condition = document.op("@@", return_type=Boolean)(tsquery)
        if not ranked:
            return TextMatch(_ENTRY, condition)
        relevance = (
            desc(func.ts_rank_cd(document, tsquery)),
            desc(_ENTRY.c.published_at),
            asc(_ENTRY.c.id),
        )
        return TextMatch(_ENTRY, condition, relevance)

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
    """Without filters: ``counts``, the ``facet_keys`` of every match (or, ``tallied``, without
    words either, the kept counts of the whole catalogue), and ``page``, the ids of the page's
    entries in order (an unfiltered ranked page lets FTS5 sort; without words it is an index
    walk). With filters (``listed``), which leave fewer rows, one statement is both: it lists
    the id and ``facet_keys`` of every remaining match in order, so the full-text index is read
    and each match looked up once. ``by_id``: the page's entries (only ids go through a sort)."""

    counts: Executable
    page: Select[Any]
    by_id: Select[Any]
    tallied: bool = False
    listed: bool = False


@lru_cache(maxsize=512)
def _statements(shape: _Shape) -> _Statements:
    ranked = shape.has_words and shape.sort is Sort.RELEVANCE
    by_id = select(*_ENTRY.c).where(_ENTRY.c.id.in_(bindparam("ids", expanding=True)))
    if shape.facets:
        match = _match(shape, ranked=ranked, narrowed=True)
        listing = _in_order(select(_ENTRY.c.id, _ENTRY.c.facet_keys), match, shape)
        return _Statements(listing, listing, by_id, listed=True)
    page = (
        _in_order(select(_ENTRY.c.id), _match(shape, ranked=ranked), shape)
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    )
    if not shape.has_words:
        return _Statements(_tallied_counts(), page, by_id, tallied=True)
    counted = _match(shape, ranked=False)
    counts = (
        select(_ENTRY.c.facet_keys)
        .select_from(counted.source)
        .where(*_conditions(shape.facets), *_present(counted.condition))
    )
    return _Statements(counts, page, by_id)


def _in_order(columns: Select[Any], match: TextMatch, shape: _Shape) -> Select[Any]:
    """``columns`` of the entries ``match`` finds under the filters, in the order of ``shape``."""
    return (
        columns.select_from(match.source)
        .where(*_conditions(shape.facets), *_present(match.condition))
        .order_by(*_ordering(shape.sort, match.relevance, _ENTRY.c))
    )


def _match(shape: _Shape, *, ranked: bool, narrowed: bool = False) -> TextMatch:
    if not shape.has_words:
        return TextMatch(_ENTRY, None)
    return shape.index.matches(ranked=ranked, narrowed=narrowed)


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


def _ordering(sort: Sort, relevance: tuple[ColumnElement[Any], ...], c: Any) -> list[Any]:
    """ORDER BY terms over ``catalog_search`` columns ``c``."""
    if sort is Sort.RELEVANCE and relevance:
        return list(relevance)
    if sort is Sort.OLDEST:
        return [asc(c.published_at), asc(c.id)]
    if sort is Sort.TITLE:
        return [asc(func.lower(c.title)), asc(c.id)]
    return [desc(c.published_at), desc(c.id)]


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


def _collect_tallies(rows: Sequence[Any]) -> tuple[int, dict[str, list[FacetCount]]]:
    total = 0
    found: dict[str, list[FacetCount]] = {name: [] for name in FACETS}
    for facet, value, label, count in rows:
        if facet == "":
            total = int(count)
        elif facet in found:
            found[facet].append(FacetCount(str(value), str(label), int(count)))
    return total, {name: _largest(counts) for name, counts in found.items()}


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

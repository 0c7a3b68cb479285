"""Reading a researcher's SQL before it runs: what it may touch, and what its output is.

The text is parsed by DuckDB's own parser (``json_serialize_sql``) in a private in-memory
database that can read nothing. A query is accepted when it is one ``SELECT`` whose every
``FROM`` names a granted table or a CTE of the query: table functions (``read_csv``, ``glob``,
``range``), catalog tables, ``DESCRIBE``/``SUMMARIZE`` and every other statement are refused.

The outer ``SELECT`` is then classified:

- an *aggregate* query (``GROUP BY``, or aggregates only) of the aggregates the disclosure
  checks understand. The plan appends hidden statistics to its ``SELECT`` list, so that one run
  yields the answer and, per output row, the number of rows behind it and, per aggregate, its
  contributors and largest contributions (for the threshold and dominance rules);
- a *row-level* query: anything else (no aggregate, ``DISTINCT``, window functions, set
  operations, aggregates that return individual values such as ``list`` or ``string_agg``).
  Row-level output leaves only where the agreement allows microdata.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import duckdb

from accord.errors import FieldError, InvalidInput
from accord.i18n.translate import N_, _l

MAX_SQL_CHARS = 20_000
Node = dict[str, Any]


class AggregateKind(StrEnum):
    """How the checks treat an aggregate."""

    COUNT = "count"
    MAGNITUDE = "magnitude"
    SPREAD = "spread"
    EXTREME = "extreme"


AGGREGATES: dict[str, AggregateKind] = {
    **dict.fromkeys(
        ["count", "count_star", "count_if", "countif", "approx_count_distinct", "regr_count"],
        AggregateKind.COUNT,
    ),
    **dict.fromkeys(
        ["sum", "avg", "mean", "fsum", "favg", "sumkahan", "kahan_sum", "sum_no_overflow"],
        AggregateKind.MAGNITUDE,
    ),
    **dict.fromkeys(
        [
            "stddev",
            "stddev_samp",
            "stddev_pop",
            "variance",
            "var_samp",
            "var_pop",
            "sem",
            "skewness",
            "kurtosis",
            "kurtosis_pop",
            "entropy",
            "corr",
            "covar_pop",
            "covar_samp",
            "regr_avgx",
            "regr_avgy",
            "regr_intercept",
            "regr_r2",
            "regr_slope",
            "regr_sxx",
            "regr_sxy",
            "regr_syy",
        ],
        AggregateKind.SPREAD,
    ),
    **dict.fromkeys(
        [
            "min",
            "max",
            "median",
            "quantile",
            "quantile_cont",
            "quantile_disc",
            "approx_quantile",
            "reservoir_quantile",
            "mad",
            "bool_and",
            "bool_or",
        ],
        AggregateKind.EXTREME,
    ),
}
"""The aggregates the checks understand; every other aggregate makes a query row-level."""

_TABLE_REFS = {
    "BASE_TABLE",
    "SUBQUERY",
    "JOIN",
    "TABLE_FUNCTION",
    "EXPRESSION_LIST",
    "CTE",
    "EMPTY",
    "EMPTY_FROM",
    "PIVOT",
    "SHOW_REF",
    "COLUMN_DATA",
    "DELIM_GET",
    "BOUND_TABLE_REF",
    "INVALID",
}
_ALLOWED_REFS = {"BASE_TABLE", "SUBQUERY", "JOIN", "EXPRESSION_LIST", "EMPTY", "EMPTY_FROM"}
_LOCATION_KEYS = {"query_location", "query_location_length"}


class QueryRefused(InvalidInput):
    """The SQL may not run in the sandbox (what it touches or what it is)."""

    default_code = "sandbox.query-refused"


@dataclass(frozen=True)
class Occurrence:
    """One aggregate of the outer query and where its statistics are in the result row."""

    function: str
    kind: AggregateKind
    column: int | None
    stats: tuple[int, ...]


@dataclass(frozen=True)
class Fingerprint:
    """What a query reads and how it groups, to compare it with earlier queries of a grant:
    digests of the ``FROM`` (with the CTEs), of the grouping, and of each ``WHERE`` conjunct."""

    source: str
    groups: str
    filters: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "groups": self.groups, "filters": list(self.filters)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fingerprint:
        return cls(str(data["source"]), str(data["groups"]), tuple(map(str, data["filters"])))


@dataclass(frozen=True)
class AggregatePlan:
    """Run ``sql``; its first ``width`` columns are the answer, the rest are statistics."""

    sql: str
    width: int
    keys: tuple[int, ...]
    rows_stat: int
    occurrences: tuple[Occurrence, ...]
    counts: tuple[int, ...]
    magnitudes: tuple[int, ...]
    top_n: int
    fingerprint: Fingerprint


@dataclass(frozen=True)
class RowLevelPlan:
    """A query whose output is (or may be) rows about individuals; ``reason`` says why."""

    sql: str
    reason: str


Plan = AggregatePlan | RowLevelPlan


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON, kept with the job so that the worker runs exactly what was checked."""
    if isinstance(plan, RowLevelPlan):
        return {"kind": "rows", "sql": plan.sql, "reason": plan.reason}
    return {
        "kind": "aggregate",
        "sql": plan.sql,
        "width": plan.width,
        "keys": list(plan.keys),
        "rows_stat": plan.rows_stat,
        "occurrences": [
            {"function": o.function, "kind": o.kind.value, "column": o.column, "stats": o.stats}
            for o in plan.occurrences
        ],
        "counts": list(plan.counts),
        "magnitudes": list(plan.magnitudes),
        "top_n": plan.top_n,
        "fingerprint": plan.fingerprint.as_json(),
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    if data["kind"] == "rows":
        return RowLevelPlan(str(data["sql"]), str(data["reason"]))
    return AggregatePlan(
        sql=str(data["sql"]),
        width=int(data["width"]),
        keys=tuple(data["keys"]),
        rows_stat=int(data["rows_stat"]),
        occurrences=tuple(
            Occurrence(o["function"], AggregateKind(o["kind"]), o["column"], tuple(o["stats"]))
            for o in data["occurrences"]
        ),
        counts=tuple(data["counts"]),
        magnitudes=tuple(data["magnitudes"]),
        top_n=int(data["top_n"]),
        fingerprint=Fingerprint.from_json(data["fingerprint"]),
    )


class SqlReader:
    """Parses SQL with DuckDB in a private database that reads nothing; safe across threads."""

    def __init__(self) -> None:
        self._con = duckdb.connect(
            ":memory:",
            config={
                "threads": 1,
                "enable_external_access": False,
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
            },
        )
        self._con.execute("SET lock_configuration = true")
        self._lock = threading.Lock()
        rows = self._con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type = 'aggregate'"
        ).fetchall()
        self._grammar = Grammar(
            frozenset(str(r[0]) for r in rows) | frozenset(AGGREGATES),
            self._serialize(_STAT_TEMPLATE)["select_list"],
        )

    def plan(self, sql: str, tables: Collection[str], *, top_n: int = 1) -> Plan:
        """Check ``sql`` against the granted ``tables`` and plan its run, or ``QueryRefused``."""
        text = sql.strip()
        _check_text(text)
        node = self._serialize(text)
        check_sources(node, tables)
        return plan_node(node, text, self._grammar, top_n=top_n, render=self._render)

    def _serialize(self, text: str) -> Node:
        """The syntax tree of the one SELECT in ``text``, or why there is none."""
        with self._lock:
            raw = self._con.execute("SELECT json_serialize_sql(?)", [text]).fetchone()
        doc: dict[str, Any] = json.loads(str(raw[0])) if raw else {"error": True}
        if doc.get("error") or len(doc.get("statements", [])) != 1:
            self._explain_refusal(text)
            message = str(doc.get("error_message") or "this SELECT cannot be read")
            raise _refused(
                _l("this form of SELECT is not supported here: %(message)s", message=message), "sql"
            )
        node: Node = doc["statements"][0]["node"]
        return node

    def _explain_refusal(self, text: str) -> None:
        """Raise the precise refusal: a parse error, several statements, or not a SELECT."""
        with self._lock:
            try:
                statements = self._con.extract_statements(text)
            except duckdb.Error as error:
                raise _refused(
                    _l("the SQL does not parse: %(error)s", error=_first_line(error)), "sql"
                ) from None
        if len(statements) != 1:
            raise _refused(N_("send exactly one SELECT statement"), "sql")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise _refused(
                _l(
                    "only SELECT queries run in the sandbox; %(kind)s statements are refused",
                    kind=kind.name,
                ),
                "sql",
            )

    def _render(self, node: Node) -> str:
        doc = {"error": False, "statements": [{"node": node, "named_param_map": []}]}
        with self._lock:
            row = self._con.execute(
                "SELECT json_deserialize_sql(?::JSON)", [json.dumps(doc)]
            ).fetchone()
        if row is None:
            raise RuntimeError("json_deserialize_sql returned nothing")
        return str(row[0])


_READER: SqlReader | None = None
_READER_LOCK = threading.Lock()


def reader() -> SqlReader:
    """This process's SQL reader (one private DuckDB per process)."""
    global _READER
    with _READER_LOCK:
        if _READER is None:
            _READER = SqlReader()
        return _READER


# --- checking what a query touches ---------------------------------------------------------


def check_sources(node: Node, tables: Collection[str]) -> None:
    """Every table reference is a granted table or a CTE; no table functions, no catalogs."""
    ctes = set(_cte_names(node))
    known = set(tables)
    for ref in _table_refs(node):
        kind = ref["type"]
        if kind == "TABLE_FUNCTION":
            name = ref.get("function", {}).get("function_name", "?")
            raise _refused(
                _l(
                    "table functions such as %(name)s() are not available in the sandbox: "
                    "query the granted tables by name",
                    name=name,
                ),
                "sql",
            )
        if kind == "SHOW_REF":
            raise _refused(
                N_(
                    "DESCRIBE and SUMMARIZE are not available: the query page shows each table's "
                    "columns and types"
                ),
                "sql",
            )
        if kind not in _ALLOWED_REFS:
            raise _refused(
                _l("%(kind)s table references are not available", kind=kind.lower()), "sql"
            )
        if kind == "BASE_TABLE":
            _check_table(ref, known, ctes)


def _check_table(ref: Node, known: set[str], ctes: set[str]) -> None:
    name = str(ref.get("table_name", ""))
    if ref.get("schema_name") or ref.get("catalog_name"):
        raise _refused(
            _l(
                "only the granted tables may be queried; %(table)s is not one of them",
                table=_qualified(ref),
            ),
            "sql",
        )
    if name in ctes or name in known:
        return
    listed = ", ".join(sorted(known)) or "none"
    raise _refused(
        _l(
            "no table %(name)r in this version; its tables are: %(listed)s",
            name=name,
            listed=listed,
        ),
        "sql",
    )


def _qualified(ref: Node) -> str:
    parts = [ref.get("catalog_name"), ref.get("schema_name"), ref.get("table_name")]
    return ".".join(str(p) for p in parts if p)


def _table_refs(value: Any) -> Iterator[Node]:
    if isinstance(value, dict):
        if "class" not in value and value.get("type") in _TABLE_REFS:
            yield value
        for child in value.values():
            yield from _table_refs(child)
    elif isinstance(value, list):
        for child in value:
            yield from _table_refs(child)


def _cte_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for entry in value.get("cte_map", {}).get("map", []):
            yield str(entry["key"])
        for child in value.values():
            yield from _cte_names(child)
    elif isinstance(value, list):
        for child in value:
            yield from _cte_names(child)


# --- classifying the outer query and planning its statistics -------------------------------


def plan_node(
    node: Node, text: str, grammar: Grammar, *, top_n: int, render: Callable[[Node], str]
) -> Plan:
    """The plan for a checked statement ``node`` (the outer query node)."""
    reason = row_level_reason(node, grammar.aggregates)
    if reason is not None:
        return RowLevelPlan(text, reason)
    select_list: list[Node] = node["select_list"]
    for index, item in enumerate(select_list):
        if item.get("class") == "STAR":
            raise _refused(N_("name the columns of an aggregate query (no * in its SELECT)"), "sql")
        if any(e.get("class") == "SUBQUERY" for e in _expressions(item)):
            raise _refused(
                _l(
                    "column %(column)s holds a subquery: join it in FROM instead, so that "
                    "the disclosure checks can see it",
                    column=index + 1,
                ),
                "sql",
            )
    return _aggregate_plan(node, grammar, top_n=top_n, render=render)


def row_level_reason(node: Node, aggregates: frozenset[str]) -> str | None:
    """Why the outer query's output is row-level, or None when it is an aggregate query."""
    if node.get("type") != "SELECT_NODE":
        return "set operations (UNION, EXCEPT, INTERSECT) combine rows the checks cannot follow"
    if any(m.get("type") == "DISTINCT_MODIFIER" for m in node.get("modifiers", [])):
        return "SELECT DISTINCT lists individual values"
    if node.get("qualify") is not None or any(
        e.get("class") == "WINDOW" for item in node["select_list"] for e in _expressions(item)
    ):
        return "window functions in the outer query return one value per row"
    found = [a["function_name"] for a in _aggregates_of(node, aggregates)]
    unknown = sorted({name for name in found if name not in AGGREGATES})
    if unknown:
        return f"{', '.join(unknown)} return individual values"
    grouped = bool(node.get("group_expressions")) or node.get("aggregate_handling") == (
        "FORCE_AGGREGATES"
    )
    if not found and not grouped:
        return "the query returns rows, not aggregates"
    return None


def _aggregate_plan(
    node: Node, grammar: Grammar, *, top_n: int, render: Callable[[Node], str]
) -> AggregatePlan:
    augmented = copy.deepcopy(node)
    select_list: list[Node] = augmented["select_list"]
    width = len(select_list)
    stats = _Stats(width)
    stats.add(grammar.rows())
    occurrences: list[Occurrence] = []
    places: list[tuple[Node, int | None]] = [(item, i) for i, item in enumerate(select_list)]
    if augmented.get("having") is not None:
        places.append((augmented["having"], None))
    for expression, column in places:
        for aggregate in _top_aggregates(expression, grammar.aggregates):
            name = str(aggregate["function_name"])
            added = grammar.stats_for(aggregate, AGGREGATES[name], top_n)
            indexes = tuple(stats.add(stat) for stat in added)
            occurrences.append(Occurrence(name, AGGREGATES[name], column, indexes))
    select_list.extend(stats.nodes)
    keys = tuple(
        i
        for i, item in enumerate(node["select_list"])
        if not _top_aggregates(item, grammar.aggregates)
    )
    return AggregatePlan(
        sql=render(augmented),
        width=width,
        keys=keys,
        rows_stat=width,
        occurrences=tuple(occurrences),
        counts=_columns_that_are(node, AggregateKind.COUNT),
        magnitudes=_columns_that_are(node, AggregateKind.MAGNITUDE),
        top_n=top_n,
        fingerprint=fingerprint(node),
    )


class _Stats:
    """The hidden statistic columns, each computed once however many aggregates need it."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.nodes: list[Node] = []
        self._index: dict[str, int] = {}

    def add(self, stat: Node) -> int:
        """The result column of ``stat``, appended the first time it is seen."""
        key = _digest({k: v for k, v in stat.items() if k != "alias"})
        if key not in self._index:
            self._index[key] = self.width + len(self.nodes)
            stat["alias"] = f"__accord_stat_{len(self.nodes)}"
            self.nodes.append(stat)
        return self._index[key]


def _columns_that_are(node: Node, kind: AggregateKind) -> tuple[int, ...]:
    """Output columns that are exactly one aggregate of ``kind`` (what rounding applies to)."""
    return tuple(
        i
        for i, item in enumerate(node["select_list"])
        if item.get("class") == "FUNCTION" and AGGREGATES.get(item["function_name"]) is kind
    )


def fingerprint(node: Node) -> Fingerprint:
    """Digests of the outer query's sources, grouping and filter conjuncts."""
    source = {"from": node.get("from_table"), "ctes": node.get("cte_map")}
    groups = {
        "expressions": node.get("group_expressions"),
        "sets": node.get("group_sets"),
        "handling": node.get("aggregate_handling"),
    }
    where = node.get("where_clause")
    conjuncts = _conjuncts(where) if where is not None else []
    return Fingerprint(
        _digest(source), _digest(groups), tuple(sorted({_digest(c) for c in conjuncts}))
    )


def _conjuncts(expression: Node) -> list[Node]:
    if expression.get("type") == "CONJUNCTION_AND":
        return [part for child in expression["children"] for part in _conjuncts(child)]
    return [expression]


def _digest(value: Any) -> str:
    text = json.dumps(_without_locations(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _without_locations(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_locations(v) for k, v in value.items() if k not in _LOCATION_KEYS}
    if isinstance(value, list):
        return [_without_locations(v) for v in value]
    return value


def _expressions(value: Any) -> Iterator[Node]:
    """Expression nodes of one outer-query expression, not entering subqueries."""
    if isinstance(value, dict):
        if "class" in value:
            yield value
            if value["class"] == "SUBQUERY":
                return
        for child in value.values():
            yield from _expressions(child)
    elif isinstance(value, list):
        for child in value:
            yield from _expressions(child)


def _top_aggregates(expression: Node, aggregates: frozenset[str]) -> list[Node]:
    """The aggregate calls in one outer-query expression (not inside subqueries)."""
    found: list[Node] = []
    _collect_aggregates(expression, aggregates, found)
    return found


def _collect_aggregates(value: Any, aggregates: frozenset[str], found: list[Node]) -> None:
    if isinstance(value, dict):
        if value.get("class") == "SUBQUERY":
            return
        if value.get("class") == "FUNCTION" and value["function_name"] in aggregates:
            found.append(value)
            return
        for child in value.values():
            _collect_aggregates(child, aggregates, found)
    elif isinstance(value, list):
        for child in value:
            _collect_aggregates(child, aggregates, found)


def _aggregates_of(node: Node, aggregates: frozenset[str]) -> list[Node]:
    found: list[Node] = []
    for item in node["select_list"]:
        _collect_aggregates(item, aggregates, found)
    if node.get("having") is not None:
        _collect_aggregates(node["having"], aggregates, found)
    return found


# --- the statistics appended for the checks -------------------------------------------------

_E = "__accord_e"
_F = "__accord_f"
_STAT_TEMPLATE = (
    f"SELECT count_star(), "
    f"count(nullif(TRY_CAST({_E} AS DOUBLE), 0)) FILTER (WHERE {_F}), "
    f"max(abs(TRY_CAST({_E} AS DOUBLE))) FILTER (WHERE {_F}), "
    f"sum(abs(TRY_CAST({_E} AS DOUBLE))) FILTER (WHERE {_F}), "
    f"max(abs(TRY_CAST({_E} AS DOUBLE)), 2) FILTER (WHERE {_F}), "
    f"count({_E}) FILTER (WHERE {_F}), "
    f"true"
)


class Grammar:
    """What planning needs of DuckDB: the names of its aggregate functions, and statistic
    expressions parsed once, with placeholders for an aggregate's argument (``__accord_e``) and
    filter (``__accord_f``)."""

    def __init__(self, aggregates: frozenset[str], parsed: list[Node]) -> None:
        self.aggregates = aggregates
        (
            self._rows,
            self._contributors,
            self._largest,
            self._total,
            self._top,
            self._nonnull,
            self._true,
        ) = parsed

    def rows(self) -> Node:
        return copy.deepcopy(self._rows)

    def stats_for(self, aggregate: Node, kind: AggregateKind, top_n: int) -> list[Node]:
        """The statistics of one aggregate, in the order ``disclosure`` reads them.

        count: the count itself. magnitude: non-zero contributors, largest absolute
        contribution, total absolute contribution (and the ``top_n`` largest when the
        dominance rule needs more than one). spread and extreme: non-null contributors.
        """
        if kind is AggregateKind.COUNT:
            stat = copy.deepcopy(aggregate)
            stat["alias"] = ""
            return [stat]
        args = aggregate.get("arguments") or []
        argument = args[0]["expression"] if args else self._true
        condition = aggregate.get("filter") or self._true
        distinct = bool(aggregate.get("distinct"))
        if kind is AggregateKind.MAGNITUDE:
            chosen = [self._contributors, self._largest, self._total]
            if top_n > 1:
                chosen.append(self._top)
        else:
            chosen = [self._nonnull]
        stats = [_fill(t, argument, condition) for t in chosen]
        if aggregate.get("filter") is None:
            for stat in stats:
                stat["filter"] = _without_true(stat["filter"])
        if top_n > 1 and kind is AggregateKind.MAGNITUDE:
            stats[3]["arguments"][1]["expression"]["literal"]["text"] = str(top_n)
        if distinct:
            for stat in (stats[0], stats[2]) if kind is AggregateKind.MAGNITUDE else stats:
                stat["distinct"] = True
        return stats


def _without_true(condition: Node | None) -> Node | None:
    """``TRUE`` → no filter; ``TRUE AND c`` → ``c`` (the template's place for a missing one)."""
    if condition is None or _is_true(condition):
        return None
    children = condition.get("children") or []
    if condition.get("type") == "CONJUNCTION_AND" and len(children) == 2 and _is_true(children[0]):
        rest: Node = children[1]
        return rest
    return condition


def _is_true(node: Node) -> bool:
    literal = node.get("literal") or {}
    return node.get("class") == "CONSTANT" and literal.get("text") == "true"


def _fill(template: Node, argument: Node, condition: Node) -> Node:
    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("class") == "COLUMN_REF" and value.get("column_names") == [_E]:
                return copy.deepcopy(argument)
            if value.get("class") == "COLUMN_REF" and value.get("column_names") == [_F]:
                return copy.deepcopy(condition)
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    filled: Node = swap(template)
    return filled


# --- errors -------------------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if not text:
        raise _refused(N_("the query is empty"), "sql")
    if len(text) > MAX_SQL_CHARS:
        raise _refused(
            _l("the query is longer than %(limit)s characters", limit=MAX_SQL_CHARS),
            "sql",
        )


def _refused(message: str, location: str) -> QueryRefused:
    return QueryRefused(
        message,
        hint=N_("the sandbox runs one SELECT over the tables listed on the query page"),
        errors=[FieldError(location, message)],
    )


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

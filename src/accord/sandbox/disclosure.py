"""Statistical disclosure control of a query's output, before anything leaves the node.

Pure functions over a planned query's result (``sql.AggregatePlan`` and the rows it produced
with their hidden statistics) and the grant's ``DisclosurePolicy``. The rules, as Eurostat's
*Handbook on Statistical Disclosure Control* (2010, §4.2 and §5.2) describes them:

- **threshold**: a row that stands for fewer than ``min_cell_count`` rows of data is hidden,
  its group labels included (they come from the data);
- **small counts**: a count between 1 and ``min_cell_count - 1`` is suppressed;
- **contributors**: a sum, mean or spread over fewer than ``min_cell_count`` non-zero
  (non-null) values is suppressed;
- **dominance**: a sum or mean is suppressed when a few contributors dominate it: the p% rule
  (``T - x1 - x2 < p/100 · x1``, with ``x2`` bounded above by ``min(x1, T - x1)``, so the check
  never releases what the exact rule would not) or the (n,k) rule;
- **differencing**: a row whose data differ from a row released earlier under the same grant
  (same tables and grouping, filters that nest) by fewer than ``min_cell_count`` rows is hidden;
- **secondary suppression**: in every line of the table (the rows that differ in one grouping
  column only), a lone suppressed cell could be recovered from the line's total, so the
  smallest other cell of the line is suppressed too, until no line has exactly one;
- **rounding** of counts (and, optionally, sums) to a base.

Every suppression comes with a note that says which rule and why.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from accord.sandbox.executor import ResultTable
from accord.sandbox.policy import DisclosurePolicy, NKRule, PPercentRule
from accord.sandbox.sql import AggregateKind, AggregatePlan, Fingerprint, Occurrence


class Rule(StrEnum):
    THRESHOLD = "threshold"
    SMALL_COUNT = "small-count"
    CONTRIBUTORS = "contributors"
    DOMINANCE = "dominance"
    DIFFERENCING = "differencing"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class Note:
    """One suppression: a cell (``column``) or a whole row (``column`` None), and why."""

    row: int
    column: int | None
    rule: Rule
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "rule": self.rule.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class ReleasedCells:
    """A row set released earlier under the grant: how its query read and grouped the data,
    and the number of data rows behind each group (by the JSON of its group labels)."""

    job_id: str
    fingerprint: Fingerprint
    rows: dict[str, int]


@dataclass(frozen=True)
class CheckedTable:
    """The output as it may leave, with the notes that explain every hidden value."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: list[list[Any]]
    notes: tuple[Note, ...]
    flags: tuple[str, ...]
    released_rows: dict[str, int] = field(default_factory=dict)

    @property
    def suppressed(self) -> int:
        return len(self.notes)


def below_threshold(count: float, min_cell_count: int) -> bool:
    """The threshold rule: a count of 1 to ``min_cell_count - 1`` is too small to show (zero is
    not: an empty cell reveals no one). Reports use it for their public figures."""
    return 0 < count < min_cell_count


def check_aggregate(
    plan: AggregatePlan,
    table: ResultTable,
    policy: DisclosurePolicy,
    earlier: Sequence[ReleasedCells] = (),
) -> CheckedTable:
    """Apply every rule to an aggregate query's result (``table`` has the hidden statistics)."""
    state = _Suppressions()
    for index, row in enumerate(table.rows):
        _primary(plan, policy, index, row, state)
    _differencing(plan, table.rows, policy, earlier, state)
    _secondary(plan, table.rows, state)
    rows = _safe_rows(plan, table.rows, policy, state)
    released = {
        _key(plan, row): int(row[plan.rows_stat])
        for index, row in enumerate(table.rows)
        if index not in state.rows
    }
    return CheckedTable(
        columns=table.columns[: plan.width],
        types=table.types[: plan.width],
        rows=rows,
        notes=tuple(
            sorted(state.notes, key=lambda n: (n.row, -1 if n.column is None else n.column))
        ),
        flags=_flags(plan, policy),
        released_rows=released,
    )


def check_rows(table: ResultTable, policy: DisclosurePolicy, reason: str) -> CheckedTable:
    """A row-level result: released only under a microdata agreement, always reviewed."""
    flags = [f"row-level output ({reason}): an output checker reviews it"]
    if policy.review == "always":
        flags.append("the agreement sends every output to review")
    return CheckedTable(
        columns=table.columns,
        types=table.types,
        rows=[list(row) for row in table.rows],
        notes=(),
        flags=tuple(flags),
    )


# --- primary suppression ------------------------------------------------------------------


class _Suppressions:
    def __init__(self) -> None:
        self.rows: set[int] = set()
        self.cells: set[tuple[int, int]] = set()
        self.notes: list[Note] = []

    def hide_row(self, row: int, rule: Rule, message: str) -> None:
        if row not in self.rows:
            self.rows.add(row)
            self.notes.append(Note(row, None, rule, message))

    def hide_cell(self, row: int, column: int, rule: Rule, message: str) -> None:
        if row not in self.rows and (row, column) not in self.cells:
            self.cells.add((row, column))
            self.notes.append(Note(row, column, rule, message))

    def hidden(self, row: int, column: int) -> bool:
        return row in self.rows or (row, column) in self.cells


def _primary(
    plan: AggregatePlan,
    policy: DisclosurePolicy,
    index: int,
    row: Sequence[Any],
    state: _Suppressions,
) -> None:
    k = policy.min_cell_count
    n = _number(row[plan.rows_stat]) or 0.0
    if below_threshold(n, k):
        state.hide_row(
            index,
            Rule.THRESHOLD,
            f"this row stands for {int(n)} rows of data; at least {k} are needed",
        )
        return
    for occurrence in plan.occurrences:
        failed = _failure(occurrence, row, policy)
        if failed is None:
            continue
        rule, message = failed
        if occurrence.column is None:
            state.hide_row(index, rule, f"HAVING {occurrence.function}(): {message}")
        else:
            state.hide_cell(index, occurrence.column, rule, f"{occurrence.function}(): {message}")


def _failure(
    occurrence: Occurrence, row: Sequence[Any], policy: DisclosurePolicy
) -> tuple[Rule, str] | None:
    k = policy.min_cell_count
    stats = [row[i] for i in occurrence.stats]
    if occurrence.kind is AggregateKind.COUNT:
        value = _number(stats[0])
        if value is not None and below_threshold(value, k):
            return Rule.SMALL_COUNT, f"a count of {_show(value)} is below {k}"
        return None
    contributors = _number(stats[0])
    if contributors is not None and below_threshold(contributors, k):
        return Rule.CONTRIBUTORS, f"{int(contributors)} contributors; at least {k} are needed"
    if occurrence.kind is AggregateKind.MAGNITUDE and policy.dominance is not None:
        return _dominance(policy.dominance, stats)
    return None


def _dominance(rule: PPercentRule | NKRule, stats: Sequence[Any]) -> tuple[Rule, str] | None:
    largest = _number(stats[1]) or 0.0
    total = _number(stats[2]) or 0.0
    if total <= 0 or largest <= 0:
        return None
    if isinstance(rule, PPercentRule):
        second_at_most = min(largest, total - largest)
        if total - largest - second_at_most < rule.p / 100 * largest:
            return (
                Rule.DOMINANCE,
                f"the largest contributor holds {largest / total:.0%} of the total, so the "
                f"others could estimate it within {rule.p:g}% (p% rule)",
            )
        return None
    top = sorted((abs(v) for v in (stats[3] if len(stats) > 3 else [largest]) or []), reverse=True)
    share = sum(top[: rule.n]) / total
    if share > rule.k / 100:
        return (
            Rule.DOMINANCE,
            f"the {rule.n} largest contributors hold {share:.0%} of the total "
            f"(({rule.n},{rule.k:g}) rule)",
        )
    return None


# --- differencing against earlier releases ----------------------------------------------------


def _differencing(
    plan: AggregatePlan,
    rows: Sequence[Sequence[Any]],
    policy: DisclosurePolicy,
    earlier: Sequence[ReleasedCells],
    state: _Suppressions,
) -> None:
    k = policy.min_cell_count
    mine = plan.fingerprint
    for released in earlier:
        if not _nested(mine, released.fingerprint):
            continue
        for index, row in enumerate(rows):
            before = released.rows.get(_key(plan, row))
            n = int(_number(row[plan.rows_stat]) or 0)
            if before is not None and 0 < abs(n - before) < k:
                state.hide_row(
                    index,
                    Rule.DIFFERENCING,
                    f"together with job {released.job_id} (same tables and groups, filters that "
                    f"nest) this row would reveal {abs(n - before)} rows of data; at least {k} "
                    "are needed",
                )


def _nested(a: Fingerprint, b: Fingerprint) -> bool:
    """Do the two queries read the same rows, grouped alike, one filtered more than the other?"""
    if a.source != b.source or a.groups != b.groups:
        return False
    fa, fb = set(a.filters), set(b.filters)
    return fa != fb and (fa <= fb or fb <= fa)


# --- secondary suppression --------------------------------------------------------------------


def _secondary(plan: AggregatePlan, rows: Sequence[Sequence[Any]], state: _Suppressions) -> None:
    columns = sorted({o.column for o in plan.occurrences if o.column is not None})
    lines = _lines(plan, rows)
    changed = True
    while changed:
        changed = False
        for column in columns:
            for line in lines:
                changed |= _protect(line, column, plan, rows, state)


def _lines(plan: AggregatePlan, rows: Sequence[Sequence[Any]]) -> list[list[int]]:
    """Groups of rows that differ in one grouping column only (all rows for one column)."""
    if not plan.keys or len(rows) < 2:
        return [list(range(len(rows)))] if len(rows) >= 2 and not plan.keys else []
    lines: list[list[int]] = []
    for free in plan.keys:
        groups: dict[str, list[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            fixed = [row[k] for k in plan.keys if k != free]
            groups[json.dumps(fixed, sort_keys=True, default=str)].append(index)
        lines.extend(group for group in groups.values() if len(group) >= 2)
    return lines


def _protect(
    line: list[int],
    column: int,
    plan: AggregatePlan,
    rows: Sequence[Sequence[Any]],
    state: _Suppressions,
) -> bool:
    hidden = [r for r in line if state.hidden(r, column)]
    if len(hidden) != 1:
        return False
    visible = [r for r in line if not state.hidden(r, column)]
    chosen = min(visible, key=lambda r: (_number(rows[r][plan.rows_stat]) or 0.0, r))
    state.hide_cell(
        chosen,
        column,
        Rule.SECONDARY,
        f"hidden to protect row {hidden[0] + 1}, which its line's total would otherwise reveal",
    )
    return True


# --- the released table -----------------------------------------------------------------------


def _safe_rows(
    plan: AggregatePlan,
    rows: Sequence[Sequence[Any]],
    policy: DisclosurePolicy,
    state: _Suppressions,
) -> list[list[Any]]:
    safe: list[list[Any]] = []
    for index, row in enumerate(rows):
        values = list(row[: plan.width])
        for column in range(plan.width):
            if state.hidden(index, column):
                values[column] = None
            elif column in plan.counts and policy.rounding.rounds_counts:
                values[column] = _round(values[column], policy.rounding.counts_base)
            elif column in plan.magnitudes and policy.rounding.rounds_magnitudes:
                values[column] = _round(values[column], policy.rounding.magnitudes_base)
        safe.append(values)
    return safe


def _round(value: Any, base: float) -> Any:
    number = _number(value)
    if number is None:
        return value
    rounded = base * math.floor(number / base + 0.5)
    return int(rounded) if isinstance(value, int) and float(base).is_integer() else rounded


def _flags(plan: AggregatePlan, policy: DisclosurePolicy) -> tuple[str, ...]:
    flags = [
        f"{o.function}() reveals values of single rows: an output checker reviews it"
        for o in plan.occurrences
        if o.kind is AggregateKind.EXTREME
    ]
    if policy.review == "always":
        flags.append("the agreement sends every output to review")
    return tuple(dict.fromkeys(flags))


def _key(plan: AggregatePlan, row: Sequence[Any]) -> str:
    return json.dumps([row[k] for k in plan.keys], sort_keys=True, default=str)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"

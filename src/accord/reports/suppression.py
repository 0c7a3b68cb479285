"""Small counts hidden from public reports, with the sandbox's threshold rule.

A count of 1 to ``k - 1`` is hidden (``accord.sandbox.disclosure.below_threshold``, the rule the
sandbox applies to released outputs). A group whose size is below ``k`` is hidden whole. A lone
hidden cell could be recovered by subtraction, from its row's total (the states of a group's
requests add up to its requests) or from the column's total (the groups add up to the report's
total), so in every such line holding exactly one hidden cell the smallest other non-zero cell
is hidden too, until no line has exactly one. Hidden values become ``null`` and the row names
them in ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.sandbox.disclosure import below_threshold

Cell = tuple[int, str]


def suppress_table(
    rows: list[dict[str, Any]],
    fields: Sequence[str],
    k: int,
    *,
    size: str | None = None,
    partition: Sequence[str] = (),
    derived: Sequence[tuple[str, Sequence[str]]] = (),
) -> int:
    """Hide, in place, the small counts of ``rows`` (whose column totals are published);
    return the number of cells hidden.

    ``size`` names the count that stands for the whole group (a small group is hidden whole);
    ``partition`` the counts that add up to it; ``derived`` the figures computed from counts
    (hidden with any of them).
    """
    hidden: set[Cell] = set()
    for index, row in enumerate(rows):
        if size is not None and below_threshold(row[size], k):
            hidden.update((index, name) for name in fields)
            continue
        hidden.update((index, name) for name in fields if below_threshold(row[name] or 0, k))
    while _secondary(rows, fields, partition, hidden):
        pass
    for figure, sources in derived:
        hidden.update(
            (index, figure)
            for index in range(len(rows))
            if any((index, source) in hidden for source in sources)
        )
    for index, name in hidden:
        rows[index][name] = None
        rows[index].setdefault("suppressed", []).append(name)
    for row in rows:
        if "suppressed" in row:
            row["suppressed"].sort()
    return len(hidden)


def hide_if_small(value: int, k: int) -> int | None:
    """A lone count (a section total): itself, or None when it is small."""
    return None if below_threshold(value, k) else value


def _secondary(
    rows: list[dict[str, Any]], fields: Sequence[str], partition: Sequence[str], hidden: set[Cell]
) -> bool:
    lines: list[list[Cell]] = [[(index, name) for index in range(len(rows))] for name in fields]
    if partition:
        lines += [[(index, name) for name in partition] for index in range(len(rows))]
    changed = False
    for line in lines:
        changed |= _protect(rows, line, hidden)
    return changed


def _protect(rows: list[dict[str, Any]], line: list[Cell], hidden: set[Cell]) -> bool:
    if sum(cell in hidden for cell in line) != 1:
        return False
    candidates = [cell for cell in line if cell not in hidden and (rows[cell[0]][cell[1]] or 0) > 0]
    if not candidates:
        return False
    hidden.add(min(candidates, key=lambda cell: (rows[cell[0]][cell[1]], cell)))
    return True

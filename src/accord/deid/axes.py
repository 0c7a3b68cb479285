"""Quasi-identifiers as ordered integer codes, with what a class of records looks like on each.

Mondrian (``mondrian.py``) sees a quasi-identifier only through an ``Axis``: each record's value
is an integer code whose order is the order splits respect, and a class of records is the code
interval ``[lo, hi]`` it spans. Two kinds:

- ``IntervalAxis``: numbers or dates; codes are the ranks of the distinct values, a class shows
  the tightest interval ``[min, max]`` of its values (LeFevre et al. 2006, §4.1 "local recoding").
- ``HierarchyAxis``: a generalisation hierarchy (date truncation, prefix truncation, category
  trees); leaves are numbered depth first so that every node covers a contiguous code interval,
  and a class shows its lowest common ancestor. Splits only fall on child boundaries.

The normalised certainty penalty (NCP, Xu et al. 2006, §3) of a class measures how much a value
was blurred: the interval's width over the column's range, or the leaves under the ancestor
over all leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.int32]
MISSING = ""
"""How a missing value is shown: it stays missing."""
SUPPRESSED_VALUE = "*"


class Axis(Protocol):
    @property
    def column(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def span(self, lo: int, hi: int) -> float:
        """NCP of a class spanning codes ``lo..hi``: 0 is exact, 1 is fully generalised."""
        ...

    def thresholds(self, lo: int, hi: int, median: int) -> tuple[int, int]:
        """Two candidate split points near ``median``: left takes codes ``<= t``."""
        ...

    def label(self, lo: int, hi: int) -> str:
        """The generalised value a class spanning ``lo..hi`` shows."""
        ...

    def height(self, lo: int, hi: int) -> int | None:
        """Generalisation height in the hierarchy (0 = exact); None for intervals."""
        ...

    def allowed(self, lo: int, hi: int) -> bool:
        """Does the class stay within the spec's limit (``max_width``, ``max_height``)?"""
        ...


@dataclass(frozen=True)
class IntervalAxis:
    """Distinct values ``points`` (sorted); code ``len(points)`` is a missing value."""

    column: str
    points: Sequence[float]
    has_missing: bool
    show: Callable[[float], str]
    max_width: float | None = None

    @property
    def kind(self) -> str:
        return "range"

    @property
    def width(self) -> float:
        return self.points[-1] - self.points[0] if self.points else 0.0

    @property
    def missing_code(self) -> int:
        return len(self.points)

    def _mixed(self, lo: int, hi: int) -> bool:
        return self.has_missing and hi == self.missing_code and lo != hi

    def span(self, lo: int, hi: int) -> float:
        if lo == hi:
            return 0.0
        if self._mixed(lo, hi):
            return 1.0
        width = self.width
        return (self.points[hi] - self.points[lo]) / width if width > 0 else 0.0

    def thresholds(self, lo: int, hi: int, median: int) -> tuple[int, int]:
        return median - 1, median

    def label(self, lo: int, hi: int) -> str:
        if self.has_missing and lo == self.missing_code:
            return MISSING
        if self._mixed(lo, hi):
            return SUPPRESSED_VALUE
        if lo == hi:
            return self.show(self.points[lo])
        return f"[{self.show(self.points[lo])}, {self.show(self.points[hi])}]"

    def height(self, lo: int, hi: int) -> int | None:
        return None

    def allowed(self, lo: int, hi: int) -> bool:
        if self.max_width is None or lo == hi:
            return True
        if self._mixed(lo, hi):
            return False
        return self.points[hi] - self.points[lo] <= self.max_width


@dataclass(frozen=True)
class HierarchyAxis:
    """A hierarchy of height ``H``: ``ancestors[h][leaf]`` is the node above a leaf at level h.

    Level 0 holds the leaves (``ancestors[0][c] == c``), level H the root ``*``; node ids at each
    level increase with leaf codes, and ``first[h][node]``/``last[h][node]`` are the leaf codes a
    node covers.
    """

    column: str
    name: str
    ancestors: Sequence[Sequence[int]]
    labels: Sequence[Sequence[str]]
    first: Sequence[Sequence[int]]
    last: Sequence[Sequence[int]]
    max_height: int | None = None
    _levels: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return self.name

    @property
    def top(self) -> int:
        return len(self.ancestors) - 1

    @property
    def leaves(self) -> int:
        return len(self.ancestors[0])

    def common_level(self, lo: int, hi: int) -> int:
        """The level of the lowest common ancestor of leaves ``lo..hi`` (remembered: Mondrian
        and the report ask about the same classes several times)."""
        if lo == hi:
            return 0
        key = lo * self.leaves + hi
        level = self._levels.get(key)
        if level is None:
            level = next(h for h, up in enumerate(self.ancestors) if up[lo] == up[hi])
            self._levels[key] = level
        return level

    def span(self, lo: int, hi: int) -> float:
        if lo == hi or self.leaves < 2:
            return 0.0
        level = self.common_level(lo, hi)
        node = self.ancestors[level][lo]
        covered = self.last[level][node] - self.first[level][node] + 1
        return (covered - 1) / (self.leaves - 1)

    def thresholds(self, lo: int, hi: int, median: int) -> tuple[int, int]:
        child = self.common_level(lo, hi) - 1
        node = self.ancestors[child][median]
        return self.first[child][node] - 1, self.last[child][node]

    def label(self, lo: int, hi: int) -> str:
        level = self.common_level(lo, hi)
        return self.labels[level][self.ancestors[level][lo]]

    def height(self, lo: int, hi: int) -> int | None:
        return self.common_level(lo, hi)

    def allowed(self, lo: int, hi: int) -> bool:
        return self.max_height is None or self.common_level(lo, hi) <= self.max_height


def hierarchy_axis(
    column: str,
    name: str,
    paths: Sequence[tuple[str, ...]],
    labels_of: Callable[[int, tuple[str, ...]], str],
    max_height: int | None = None,
) -> tuple[HierarchyAxis, dict[str, int]]:
    """A ``HierarchyAxis`` from root-to-leaf paths of equal length (the root itself excluded).

    ``labels_of(level, path_prefix)`` names a node. Returns the axis and each leaf's code
    (keyed by the leaf's value, the last element of its path).
    """
    ordered = sorted(set(paths))
    depth = len(ordered[0])
    ancestors: list[list[int]] = []
    labels: list[list[str]] = []
    first: list[list[int]] = []
    last: list[list[int]] = []
    for level in range(depth + 1):
        keep = depth - level
        prefixes = [path[:keep] for path in ordered]
        ids: list[int] = []
        names: list[str] = []
        starts: list[int] = []
        for code, prefix in enumerate(prefixes):
            if code == 0 or prefix != prefixes[code - 1]:
                names.append(labels_of(level, prefix) if keep else SUPPRESSED_VALUE)
                starts.append(code)
            ids.append(len(names) - 1)
        ancestors.append(ids)
        labels.append(names)
        first.append(starts)
        last.append([s - 1 for s in starts[1:]] + [len(ordered) - 1])
    axis = HierarchyAxis(column, name, ancestors, labels, first, last, max_height)
    return axis, {path[-1]: code for code, path in enumerate(ordered)}

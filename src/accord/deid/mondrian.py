"""Mondrian multidimensional k-anonymity (LeFevre, DeWitt, Ramakrishnan, ICDE 2006), with the
distinct l-diversity condition (Machanavajjhala et al. 2007) as an extra split constraint.

Greedy top-down partitioning (LeFevre et al. §4, Algorithm 1 "strict multidimensional"):
start with every record in one partition; take the quasi-identifier whose normalised span in
the partition is widest (``Axis.span``); cut at the median, keeping both sides at least ``k``
records (and ``l``-diverse on each sensitive column); when no dimension allows a cut, the
partition is final. Every final partition therefore holds at least ``k`` records.

Median cuts with many equal values use whichever of "left <= median" and "left < median" is
allowed and more balanced; hierarchical axes cut only at child boundaries of the partition's
lowest common ancestor (``Axis.thresholds``). Pure: arrays in, partitions out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord.deid.axes import Axis, Codes

Rows = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Partitioning:
    """Final partitions: ``rows`` grouped by partition (``starts`` into it), and each partition's
    code interval per axis (``lo[axis, partition]``, ``hi[axis, partition]``)."""

    rows: Rows
    starts: npt.NDArray[np.int64]
    lo: Codes
    hi: Codes

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def sizes(self) -> npt.NDArray[np.int64]:
        return np.diff(np.append(self.starts, len(self.rows)))

    def partition_of_rows(self, total: int) -> npt.NDArray[np.int32]:
        """Each source record's partition number."""
        owner = np.empty(total, dtype=np.int32)
        owner[self.rows] = np.repeat(np.arange(self.count, dtype=np.int32), self.sizes)
        return owner


def partition(
    codes: Codes,
    axes: Sequence[Axis],
    k: int,
    *,
    sensitive: Sequence[Codes] = (),
    l_diversity: int | None = None,
) -> Partitioning:
    """Partition records (columns of ``codes``, one row per axis) into classes of >= k.

    The caller checks that the whole table has at least ``k`` records and is l-diverse.
    """
    rule = _SplitRule(k, list(sensitive), l_diversity)
    final: list[Rows] = []
    stack: list[Rows] = [np.arange(codes.shape[1], dtype=np.int32)]
    while stack:
        rows = stack.pop()
        halves = _split(codes, axes, rows, rule) if len(rows) >= 2 * k else None
        if halves is None:
            final.append(rows)
        else:
            stack.extend(halves)
    return _collect(codes, final)


@dataclass(frozen=True)
class _SplitRule:
    k: int
    sensitive: list[Codes]
    l_diversity: int | None

    def admits(self, rows: Rows) -> bool:
        if len(rows) < self.k:
            return False
        if self.l_diversity is None:
            return True
        return all(_distinct(values[rows]) >= self.l_diversity for values in self.sensitive)


def _split(codes: Codes, axes: Sequence[Axis], rows: Rows, rule: _SplitRule) -> list[Rows] | None:
    """The first allowed median cut along the widest dimensions, or None."""
    block = codes[:, rows]
    lows: list[int] = block.min(axis=1).tolist()
    highs: list[int] = block.max(axis=1).tolist()
    spans = [axis.span(lo, hi) for axis, lo, hi in zip(axes, lows, highs, strict=True)]
    for dim in sorted(range(len(axes)), key=spans.__getitem__, reverse=True):
        if spans[dim] <= 0:
            return None
        halves = _cut(block[dim], axes[dim], lows[dim], highs[dim], rows, rule)
        if halves is not None:
            return halves
    return None


def _cut(
    values: Codes, axis: Axis, lo: int, hi: int, rows: Rows, rule: _SplitRule
) -> list[Rows] | None:
    middle = len(values) // 2
    median = int(np.partition(values, middle)[middle])
    options = sorted(
        (abs(2 * int(np.count_nonzero(values <= t)) - len(values)), t)
        for t in set(axis.thresholds(lo, hi, median))
        if lo <= t < hi
    )
    for _, threshold in options:
        left = values <= threshold
        halves = [rows[left], rows[~left]]
        if all(rule.admits(half) for half in halves):
            return halves
    return None


def _distinct(values: Codes) -> int:
    return int(np.count_nonzero(np.bincount(values))) if len(values) else 0


def _collect(codes: Codes, final: list[Rows]) -> Partitioning:
    rows = np.concatenate(final) if final else np.zeros(0, dtype=np.int32)
    sizes = np.asarray([len(part) for part in final], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    ordered = codes[:, rows]
    lo = np.minimum.reduceat(ordered, starts, axis=1) if len(rows) else ordered
    hi = np.maximum.reduceat(ordered, starts, axis=1) if len(rows) else ordered
    return Partitioning(rows, starts, lo.astype(np.int32), hi.astype(np.int32))

"""Mondrian's invariants, for any table: every record in exactly one partition, every
partition at least k records, l distinct sensitive values when asked, and tight bounds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accord.deid.axes import IntervalAxis, hierarchy_axis
from accord.deid.mondrian import partition


def interval_axes(codes: np.ndarray) -> list[IntervalAxis]:
    return [
        IntervalAxis(f"q{d}", [float(v) for v in range(int(codes[d].max()) + 1)], False, str)
        for d in range(codes.shape[0])
    ]


tables = st.integers(min_value=1, max_value=3).flatmap(
    lambda d: arrays(
        np.int32,
        st.tuples(st.just(d), st.integers(min_value=1, max_value=300)),
        elements=st.integers(min_value=0, max_value=40),
    )
)


@settings(max_examples=60, deadline=None)
@given(codes=tables, k=st.integers(min_value=1, max_value=25))
def test_partitions_cover_every_record_once_with_at_least_k(codes: np.ndarray, k: int) -> None:
    if codes.shape[1] < k:
        return
    parts = partition(codes, interval_axes(codes), k)
    assert sorted(parts.rows.tolist()) == list(range(codes.shape[1]))
    assert parts.sizes.min() >= k
    owner = parts.partition_of_rows(codes.shape[1])
    for dim in range(codes.shape[0]):
        assert np.array_equal(parts.lo[dim][owner] <= codes[dim], np.ones_like(codes[dim], bool))
        assert (parts.hi[dim][owner] >= codes[dim]).all()
        for p in range(parts.count):
            members = codes[dim][owner == p]
            assert parts.lo[dim][p] == members.min() and parts.hi[dim][p] == members.max()


@settings(max_examples=40, deadline=None)
@given(
    codes=tables,
    seed=st.integers(min_value=0, max_value=2**16),
    k=st.integers(min_value=2, max_value=10),
    diversity=st.integers(min_value=2, max_value=4),
)
def test_every_partition_is_l_diverse(codes: np.ndarray, seed: int, k: int, diversity: int) -> None:
    rows = codes.shape[1]
    sensitive = np.random.default_rng(seed).integers(0, 5, rows).astype(np.int32)
    if rows < k or len(np.unique(sensitive)) < diversity:
        return
    parts = partition(codes, interval_axes(codes), k, sensitive=[sensitive], l_diversity=diversity)
    owner = parts.partition_of_rows(rows)
    for p in range(parts.count):
        assert len(np.unique(sensitive[owner == p])) >= diversity
    assert parts.sizes.min() >= k


def test_splits_until_no_cut_keeps_k_on_both_sides() -> None:
    codes = np.asarray([list(range(100))], dtype=np.int32)
    parts = partition(codes, interval_axes(codes), 10)
    assert sorted(parts.sizes.tolist()) == [12, 12, 12, 12, 13, 13, 13, 13]


def test_hierarchies_cut_only_between_children() -> None:
    paths = [("A", "a1"), ("A", "a2"), ("B", "b1"), ("B", "b2")]
    axis, code_of = hierarchy_axis("c", "category", paths, lambda _level, p: p[-1])
    values = ["a1"] * 6 + ["a2"] * 6 + ["b1"] * 2 + ["b2"] * 10
    codes = np.asarray([[code_of[v] for v in values]], dtype=np.int32)
    parts = partition(codes, [axis], 6)
    labels = sorted(axis.label(int(lo), int(hi)) for lo, hi in zip(parts.lo[0], parts.hi[0]))
    assert labels == ["B", "a1", "a2"]


def test_hierarchy_labels_and_heights() -> None:
    paths = [
        ("Africa", "Kenya", "Kisumu"),
        ("Africa", "Kenya", "Nairobi"),
        ("Europe", "CH", "Bern"),
    ]
    axis, code_of = hierarchy_axis("r", "category", paths, lambda _level, p: p[-1])
    kisumu, nairobi, bern = code_of["Kisumu"], code_of["Nairobi"], code_of["Bern"]
    assert axis.label(kisumu, kisumu) == "Kisumu" and axis.height(kisumu, kisumu) == 0
    assert axis.label(kisumu, nairobi) == "Kenya" and axis.height(kisumu, nairobi) == 1
    low, high = sorted((kisumu, bern))
    assert axis.label(low, high) == "*" and axis.height(low, high) == 3
    assert axis.span(low, high) == 1.0

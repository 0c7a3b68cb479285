"""The derivation itself, pure: a source table, a spec and a key in; the released table and its
report out. Nothing here touches the database, the blob store or the clock.

Steps (spec.py says what each treatment means): check the spec against the columns; encode the
quasi-identifiers; refuse an impossible k or l up front; partition with Mondrian; suppress the
classes the spec's limits cannot accept, within ``max_suppression``; write each released
column (pseudonyms, generalised values, sensitive and kept values as they are); shuffle the
records so their order says nothing about the source's; measure k and l on the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from accord.deid.axes import MISSING, Axis
from accord.deid.encode import encode_categories, encode_quasi_identifier
from accord.deid.mondrian import Partitioning, partition
from accord.deid.pseudonyms import pseudonymise
from accord.deid.report import (
    ColumnLoss,
    InformationLoss,
    Report,
    Treatment,
    class_sizes,
    discernibility,
    measure,
)
from accord.deid.spec import Spec, check_columns
from accord.errors import InvalidInput

ALGORITHM = "Mondrian multidimensional partitioning (LeFevre et al. 2006)"


@dataclass(frozen=True)
class Derived:
    table: pa.Table
    report: Report


def derive(
    table: pa.Table,
    spec: Spec,
    key: bytes,
    *,
    output_format: str,
    software: str,
    rng: np.random.Generator | None = None,
) -> Derived:
    """Derive the released table from ``table`` under ``spec`` (see the module docstring)."""
    check_columns(spec, table.column_names)
    _require_enough(table.num_rows, spec)
    encoded = [encode_quasi_identifier(r, table.column(r.column)) for r in spec.quasi_identifiers]
    axes = [axis for axis, _ in encoded]
    codes = np.vstack([c for _, c in encoded]) if encoded else np.zeros((0, 0), np.int32)
    sensitive = [encode_categories(table.column(s)) for s in spec.sensitive]
    if spec.l is not None:
        _require_diverse(spec, sensitive)
    parts = partition(
        codes, axes, spec.k, sensitive=sensitive if spec.l else (), l_diversity=spec.l
    )
    released = _released_partitions(parts, axes)
    sizes = parts.sizes
    suppressed = int(sizes[~released].sum())
    _require_suppression_within(spec, suppressed, table.num_rows)
    owner = parts.partition_of_rows(table.num_rows)
    keep = released[owner]
    out = _released_table(table, spec, key, axes, parts, owner)
    out = out.filter(pa.array(keep))
    order = (rng or np.random.default_rng()).permutation(out.num_rows)
    out = out.take(pa.array(order))
    report = _report(
        spec, out, axes, parts, released, suppressed, table.column_names, output_format, software
    )
    return Derived(out, report)


# --- refusals ----------------------------------------------------------------------------------


def _require_enough(records: int, spec: Spec) -> None:
    if records < spec.k:
        raise InvalidInput(
            f"k = {spec.k} cannot be reached: the source has only {records} records",
            code="deid.k-unreachable",
            hint="lower k, or derive from a larger source",
        )


def _require_diverse(spec: Spec, sensitive: Sequence[npt.NDArray[np.int32]]) -> None:
    assert spec.l is not None
    for name, values in zip(spec.sensitive, sensitive, strict=True):
        distinct = len(np.unique(values))
        if distinct < spec.l:
            raise InvalidInput(
                f"l = {spec.l} cannot be reached: column {name!r} has only {distinct} "
                "distinct values in the whole source",
                code="deid.l-unreachable",
                hint="lower l, or name other sensitive columns",
            )


def _require_suppression_within(spec: Spec, suppressed: int, total: int) -> None:
    share = suppressed / total if total else 0.0
    if share > spec.max_suppression:
        raise InvalidInput(
            f"reaching k = {spec.k} within the spec's limits (max_width, max_height) would "
            f"suppress {suppressed} of {total} records ({share:.1%}), more than "
            f"max_suppression allows ({spec.max_suppression:.1%})",
            code="deid.too-much-suppression",
            hint="relax max_width / max_height, lower k, or allow more suppression",
        )


# --- building the released table ---------------------------------------------------------------


def _released_partitions(parts: Partitioning, axes: Sequence[Axis]) -> npt.NDArray[np.bool_]:
    """Partitions within every axis's limit; the others are suppressed."""
    allowed = np.ones(parts.count, dtype=bool)
    for dim, axis in enumerate(axes):
        lows, highs = parts.lo[dim], parts.hi[dim]
        allowed &= np.fromiter(
            (axis.allowed(int(a), int(b)) for a, b in zip(lows, highs, strict=True)),
            dtype=bool,
            count=parts.count,
        )
    return allowed


def _released_table(
    table: pa.Table,
    spec: Spec,
    key: bytes,
    axes: Sequence[Axis],
    parts: Partitioning,
    owner: npt.NDArray[np.int32],
) -> pa.Table:
    generalised = {axis.column: dim for dim, axis in enumerate(axes)}
    pseudonymised = set(spec.pseudonymise)
    released = set(spec.released_in_clear(table.column_names))
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.column_names:
        if name in generalised:
            dim = generalised[name]
            columns[name] = _generalised(axes[dim], parts, dim, owner)
        elif name in pseudonymised:
            columns[name] = pseudonymise(key, table.column(name))
        elif name in released:
            columns[name] = table.column(name)
    return pa.table(columns)


def _generalised(
    axis: Axis, parts: Partitioning, dim: int, owner: npt.NDArray[np.int32]
) -> pa.Array:
    labels = [axis.label(int(a), int(b)) for a, b in zip(parts.lo[dim], parts.hi[dim], strict=True)]
    dictionary = pa.array([None if v == MISSING else v for v in labels], type=pa.string())
    return pc.take(dictionary, pa.array(owner))


# --- the report --------------------------------------------------------------------------------


def _report(
    spec: Spec,
    out: pa.Table,
    axes: Sequence[Axis],
    parts: Partitioning,
    released: npt.NDArray[np.bool_],
    suppressed: int,
    source_columns: Sequence[str],
    output_format: str,
    software: str,
) -> Report:
    total = int(parts.sizes.sum())
    measured = measure(out, spec.qi_columns, spec.sensitive)
    sizes = measured.sizes
    average = (out.num_rows / len(sizes)) / spec.k if sizes else 0.0
    losses = [_column_loss(axis, parts, dim, released) for dim, axis in enumerate(axes)]
    return Report(
        algorithm=ALGORITHM + (" with distinct l-diversity" if spec.l else ""),
        k_requested=spec.k,
        k_achieved=measured.k,
        l_requested=spec.l,
        l_achieved=measured.l_diversity,
        records_in=total,
        records_out=out.num_rows,
        records_suppressed=suppressed,
        suppressed_share=round(suppressed / total, 6) if total else 0.0,
        classes=len(sizes),
        class_sizes=class_sizes(sizes, spec.k),
        information_loss=InformationLoss(
            ncp=round(float(np.mean([c.ncp for c in losses])), 6) if losses else 0.0,
            discernibility=discernibility(sizes, suppressed, total),
            average_class_size=round(average, 6),
            columns=losses,
        ),
        columns=_treatment(spec, source_columns, out.column_names),
        output_format=output_format,
        software=software,
    )


def _column_loss(
    axis: Axis, parts: Partitioning, dim: int, released: npt.NDArray[np.bool_]
) -> ColumnLoss:
    pairs = [
        (int(a), int(b))
        for a, b, keep in zip(parts.lo[dim], parts.hi[dim], released, strict=True)
        if keep
    ]
    weights = parts.sizes[released]
    total = float(weights.sum())
    if not pairs or total == 0:
        return ColumnLoss(column=axis.column, kind=axis.kind, ncp=0.0)
    ncp = float(np.dot([axis.span(a, b) for a, b in pairs], weights)) / total
    heights = [axis.height(a, b) for a, b in pairs]
    if any(h is None for h in heights):
        return ColumnLoss(column=axis.column, kind=axis.kind, ncp=round(ncp, 6))
    levels = np.asarray(heights, dtype=np.float64)
    return ColumnLoss(
        column=axis.column,
        kind=axis.kind,
        ncp=round(ncp, 6),
        mean_height=round(float(np.dot(levels, weights)) / total, 6),
        max_height=int(levels.max()),
    )


def _treatment(spec: Spec, source: Sequence[str], released: Sequence[str]) -> Treatment:
    special = {*spec.pseudonymise, *spec.qi_columns, *spec.sensitive}
    return Treatment(
        dropped=[c for c in source if c not in released],
        pseudonymised=list(spec.pseudonymise),
        generalised=spec.qi_columns,
        sensitive=list(spec.sensitive),
        kept=[c for c in released if c not in special],
    )

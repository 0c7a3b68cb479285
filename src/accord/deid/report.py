"""The derivation report: what the derived table achieves and what it cost in information.

Privacy is measured on the output table itself, by grouping its released quasi-identifier
values (``measure``), not taken from the algorithm's bookkeeping. Information loss:

- NCP, the normalised certainty penalty per column (Xu et al., KDD 2006, §3), averaged over
  released records: 0 = values exact, 1 = fully generalised;
- the mean generalisation height of hierarchical columns (ARX's "height");
- the discernibility metric DM (Bayardo & Agrawal, ICDE 2005, §3): the sum of squared class
  sizes, plus N for each suppressed record of the N in the source;
- the normalised average class size C_AVG (LeFevre et al. 2006, §5): (released / classes) / k.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict

EXACT_SIZES = 20
"""Up to this many different class sizes, the distribution lists each size."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SizeBucket(_Frozen):
    """Classes whose size lies in ``[smallest, largest]``, and the records they hold."""

    smallest: int
    largest: int
    classes: int
    records: int


class ClassSizes(_Frozen):
    smallest: int
    median: float
    mean: float
    largest: int
    buckets: list[SizeBucket]


class ColumnLoss(_Frozen):
    column: str
    kind: str
    ncp: float
    mean_height: float | None = None
    max_height: int | None = None


class InformationLoss(_Frozen):
    ncp: float
    discernibility: int
    average_class_size: float
    columns: list[ColumnLoss]


class Treatment(_Frozen):
    dropped: list[str]
    pseudonymised: list[str]
    generalised: list[str]
    sensitive: list[str]
    kept: list[str]


class Report(_Frozen):
    """One derivation's outcome (stored with it, logged by digest, shown on its page)."""

    algorithm: str
    k_requested: int
    k_achieved: int
    l_requested: int | None
    l_achieved: dict[str, int]
    records_in: int
    records_out: int
    records_suppressed: int
    suppressed_share: float
    classes: int
    class_sizes: ClassSizes
    information_loss: InformationLoss
    columns: Treatment
    output_format: str
    software: str

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


class Measured(_Frozen):
    """Privacy of a released table, measured on its values."""

    k: int
    l_diversity: dict[str, int]
    sizes: list[int]


def measure(
    table: pa.Table, quasi_identifiers: Sequence[str], sensitive: Sequence[str]
) -> Measured:
    """Class sizes, k and distinct l of ``table``, grouping on its quasi-identifier values
    (a missing sensitive value counts as one value)."""
    if table.num_rows == 0:
        return Measured(k=0, l_diversity=dict.fromkeys(sensitive, 0), sizes=[])
    every = pc.CountOptions(mode="all")
    result = (
        table.select([*quasi_identifiers, *sensitive])
        .group_by(list(quasi_identifiers))
        .aggregate([([], "count_all"), *((s, "count_distinct", every) for s in sensitive)])
    )
    sizes = result.column("count_all").to_numpy()
    diversity = {s: int(np.min(result.column(f"{s}_count_distinct").to_numpy())) for s in sensitive}
    return Measured(k=int(sizes.min()), l_diversity=diversity, sizes=sorted(sizes.tolist()))


def class_sizes(sizes: Sequence[int], k: int) -> ClassSizes:
    """Quantiles and buckets: one per size when there are at most ``EXACT_SIZES`` different
    sizes, else doubling from ``k``: [k, 2k-1], [2k, 4k-1], …"""
    values: npt.NDArray[np.int64] = np.asarray(sizes, dtype=np.int64)
    if len(values) == 0:
        return ClassSizes(smallest=0, median=0, mean=0, largest=0, buckets=[])
    distinct = np.unique(values)
    if len(distinct) <= EXACT_SIZES:
        edges = [(int(size), int(size)) for size in distinct]
    else:
        edges = _doubling(min(k, int(values.min())), int(values.max()))
    buckets = [
        SizeBucket(smallest=low, largest=high, classes=len(inside), records=int(inside.sum()))
        for low, high in edges
        if len(inside := values[(values >= low) & (values <= high)])
    ]
    return ClassSizes(
        smallest=int(values.min()),
        median=float(np.median(values)),
        mean=round(float(values.mean()), 3),
        largest=int(values.max()),
        buckets=buckets,
    )


def _doubling(low: int, largest: int) -> list[tuple[int, int]]:
    edges = []
    while low <= largest:
        high = max(2 * low - 1, low)
        edges.append((low, high))
        low = high + 1
    return edges


def discernibility(sizes: Sequence[int], suppressed: int, total: int) -> int:
    """DM = sum of |E|^2 over classes + |suppressed| x N (Bayardo & Agrawal 2005, §3)."""
    squares = int(np.sum(np.square(np.asarray(sizes, dtype=np.int64))))
    return squares + suppressed * total

"""The disclosure settings a grant carries from its agreement (statistical disclosure control).

The rules follow the usual output-checking practice for research data centres (Eurostat,
*Handbook on Statistical Disclosure Control*, 2010, ch. 4 "magnitude tables" and ch. 5
"frequency tables"): a minimum number of contributors per cell, a dominance rule for
magnitudes (the p% rule or the (n,k) rule), optional rounding, and no row-level output unless
the agreement allows microdata. A privacy budget (epsilon) makes differentially private
measurements available.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PPercentRule(Strict):
    """A cell is sensitive when the others' total estimates the largest within ``p`` percent:
    ``T - x1 - x2 < p/100 · x1`` (the second largest contributor's view)."""

    kind: Literal["p-percent"] = "p-percent"
    p: float = Field(default=10.0, gt=0, lt=100)


class NKRule(Strict):
    """A cell is sensitive when its ``n`` largest contributors hold more than ``k`` percent."""

    kind: Literal["n-k"] = "n-k"
    n: int = Field(default=2, ge=1, le=5)
    k: float = Field(default=85.0, gt=0, lt=100)


DominanceRule = Annotated[PPercentRule | NKRule, Field(discriminator="kind")]


class Rounding(Strict):
    """Round released counts (and, optionally, sums) to a base; 1 means no rounding."""

    counts_base: int = Field(default=1, ge=1, le=1000)
    magnitudes_base: float = Field(default=1.0, gt=0, le=1e9)

    @property
    def rounds_counts(self) -> bool:
        return self.counts_base > 1

    @property
    def rounds_magnitudes(self) -> bool:
        return self.magnitudes_base != 1.0


class DisclosurePolicy(Strict):
    """What the checks apply to every output of a grant."""

    min_cell_count: int = Field(default=10, ge=1, le=10_000)
    dominance: DominanceRule | None = PPercentRule()
    rounding: Rounding = Rounding()
    microdata: bool = Field(default=False, description="Row-level outputs may be released")
    review: Literal["flagged", "always"] = Field(
        default="flagged",
        description="flagged: outputs the checks flag wait for an output checker; "
        "always: every output does",
    )
    privacy_budget: float | None = Field(
        default=None, gt=0, le=100, description="Total epsilon of the grant's DP measurements"
    )

    @property
    def top_contributors(self) -> int:
        """How many of the largest contributors per cell the dominance rule needs."""
        if isinstance(self.dominance, NKRule):
            return self.dominance.n
        return 1

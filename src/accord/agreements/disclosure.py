"""The ``disclosure`` section of an agreement: how sandbox outputs of its data are checked.

The rules follow the usual output-checking practice for research data centres (Eurostat,
*Handbook on Statistical Disclosure Control*, 2010, ch. 4 "magnitude tables" and ch. 5
"frequency tables"): a minimum number of contributors per cell, a dominance rule for
magnitudes (the p% rule or the (n,k) rule), optional rounding, and no row-level output unless
the agreement allows microdata. A privacy budget (epsilon per researcher and dataset, across
all their grants) makes differentially private measurements available.

Every setting of the section is optional: what the agreement leaves out, the node's defaults
fill in (``ACCORD_SANDBOX_DISCLOSURE__*``, see ``accord.sandbox.settings``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    """A dominance rule, told apart by ``kind``, which is written even where it is the default
    (the published form leaves defaults out, and the kind is what the rest means)."""

    kind: str

    @model_serializer(mode="wrap")
    def _with_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {"kind": self.kind, **data}


class PPercentRule(Rule):
    """A cell is sensitive when the others' total estimates the largest within ``p`` percent:
    ``T - x1 - x2 < p/100 · x1`` (the second largest contributor's view)."""

    kind: Literal["p-percent"] = "p-percent"
    p: float = Field(default=10.0, gt=0, lt=100)


class NKRule(Rule):
    """A cell is sensitive when its ``n`` largest contributors hold more than ``k`` percent."""

    kind: Literal["n-k"] = "n-k"
    n: int = Field(default=2, ge=1, le=5)
    k: float = Field(default=85.0, gt=0, lt=100)


class NoDominanceRule(Rule):
    """No dominance rule: sums are checked for the minimum cell count only."""

    kind: Literal["none"] = "none"


DominanceRule = Annotated[PPercentRule | NKRule, Field(discriminator="kind")]
DominanceChoice = Annotated[PPercentRule | NKRule | NoDominanceRule, Field(discriminator="kind")]
RULE_KINDS = frozenset(["p-percent", "n-k", "none"])
"""The tags of ``DominanceRule`` (left out of the places named in validation errors)."""


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


Review = Literal["flagged", "always"]
MinCellCount = Annotated[int, Field(ge=1, le=10_000)]
Epsilon = Annotated[float, Field(gt=0, le=100)]


class DisclosureTerms(Strict):
    """What an agreement sets for the checks of sandbox outputs; absent settings take the
    node's defaults."""

    min_cell_count: MinCellCount | None = Field(
        default=None, description="Fewest contributors a released cell may have"
    )
    dominance: DominanceChoice | None = Field(
        default=None,
        description="Dominance rule for sums: kind p-percent (p) or n-k (n, k); kind none "
        "turns it off",
    )
    rounding: Rounding | None = None
    microdata: bool | None = Field(default=None, description="Row-level outputs may be released")
    review: Review | None = Field(
        default=None,
        description="flagged: outputs the checks flag wait for an output checker; "
        "always: every output does",
    )
    privacy_budget: Epsilon | None = Field(
        default=None,
        description="Total epsilon of the differentially private measurements one researcher "
        "makes on the dataset, across all their grants (absent: no DP measurements)",
    )

"""The disclosure settings a grant's outputs are checked under (statistical disclosure control).

An agreement's ``disclosure`` section (``accord.agreements.disclosure``) sets what it needs; the
node's defaults (``SandboxSettings.disclosure``) fill in the rest. ``resolve`` combines the two
into the ``DisclosurePolicy`` a job keeps.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from accord.agreements.disclosure import (
    DisclosureTerms,
    DominanceRule,
    Epsilon,
    MinCellCount,
    NKRule,
    NoDominanceRule,
    PPercentRule,
    Rounding,
    Strict,
)

__all__ = ["DisclosurePolicy", "NKRule", "PPercentRule", "Rounding", "resolve"]


class DisclosurePolicy(Strict):
    """What the checks apply to every output of a grant."""

    min_cell_count: MinCellCount = 10
    dominance: DominanceRule | None = PPercentRule()
    rounding: Rounding = Rounding()
    microdata: bool = Field(default=False, description="Row-level outputs may be released")
    review: Literal["flagged", "always"] = Field(
        default="flagged",
        description="flagged: outputs the checks flag wait for an output checker; "
        "always: every output does",
    )
    privacy_budget: Epsilon | None = Field(
        default=None, description="Total epsilon of the grant's DP measurements"
    )

    @property
    def top_contributors(self) -> int:
        """How many of the largest contributors per cell the dominance rule needs."""
        if isinstance(self.dominance, NKRule):
            return self.dominance.n
        return 1


def resolve(terms: DisclosureTerms, defaults: DisclosurePolicy) -> DisclosurePolicy:
    """The agreement's settings where it gives them, the node's defaults elsewhere."""
    given: dict[str, Any] = {
        name: value
        for name in terms.model_fields_set
        if (value := getattr(terms, name)) is not None
    }
    if isinstance(given.get("dominance"), NoDominanceRule):
        given["dominance"] = None
    return defaults.model_copy(update=given)

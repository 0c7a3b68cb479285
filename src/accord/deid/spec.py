"""The transformation spec a steward writes (YAML or JSON) to derive a de-identified version.

Every column of the source gets one treatment:

- ``drop``: direct identifiers removed;
- ``pseudonymise``: identifiers replaced by a keyed HMAC pseudonym (a key per derivation);
- ``quasi_identifiers``: generalised until every combination is shared by at least ``k``
  records (Mondrian, see ``mondrian.py``), each with its generalisation: ``range`` (numeric or
  date intervals), ``date`` (truncation to month, year), ``prefix`` (postcode truncation) or
  ``category`` (a hierarchy given here);
- ``sensitive``: released as is; with ``l`` every class holds at least ``l`` distinct values of
  each (distinct l-diversity, Machanavajjhala et al. 2007, §4.1);
- ``keep``: released as is; ``other_columns`` says what happens to columns named nowhere
  (dropped by default).

Records whose class would need more generalisation than ``max_width`` / ``max_height`` allow are
suppressed, up to ``max_suppression`` of all records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from accord.catalog.metadata import Tier, field_errors
from accord.errors import FieldError, InvalidInput

FORMAT: Literal[1] = 1
MAX_SPEC_BYTES = 256 * 1024

Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DateLevel = Literal["month", "year"]
AgreementRef = Annotated[str, StringConstraints(pattern=r"^agr_[0-9A-Z]{26}@v[1-9][0-9]{0,5}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeRule(_Strict):
    """Numeric or date values as the tightest interval ``[min, max]`` of their class."""

    column: Column
    kind: Literal["range"]
    max_width: float | None = Field(
        default=None, gt=0, description="Suppress classes wider than this (days for dates)"
    )


class DateRule(_Strict):
    """Dates truncated: day → month → year → ``*``, as far as needed and no further."""

    column: Column
    kind: Literal["date"]
    levels: tuple[DateLevel, ...] = Field(default=("month", "year"), min_length=1)
    max_height: int | None = Field(default=None, ge=0, description="Highest level allowed")

    @model_validator(mode="after")
    def _ordered(self) -> DateRule:
        if list(self.levels) != sorted(set(self.levels), key=["month", "year"].index):
            raise ValueError("levels go from fine to coarse without repeats: [month, year]")
        return self


class PrefixRule(_Strict):
    """Codes (postcodes) truncated to shorter prefixes, e.g. ``lengths: [3, 1]``."""

    column: Column
    kind: Literal["prefix"]
    lengths: tuple[Annotated[int, Field(ge=1, le=50)], ...] = Field(min_length=1, max_length=10)
    max_height: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _decreasing(self) -> PrefixRule:
        if any(a <= b for a, b in zip(self.lengths, self.lengths[1:], strict=False)):
            raise ValueError("lengths must get shorter: [3, 1]")
        return self


class CategoryRule(_Strict):
    """Categories generalised up a hierarchy: nested mappings ending in lists of values."""

    column: Column
    kind: Literal["category"]
    hierarchy: dict[str, Any]
    max_height: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _well_formed(self) -> CategoryRule:
        labels = list(_walk_labels(self.hierarchy, depth=0))
        if not any(True for _ in _leaves(self.hierarchy)):
            raise ValueError("the hierarchy has no values")
        repeated = [label for label, n in Counter(labels).items() if n > 1]
        if repeated:
            raise ValueError(f"labels appear twice in the hierarchy: {', '.join(repeated[:5])}")
        return self

    def paths(self) -> list[tuple[str, ...]]:
        """Each value with its ancestors, root side first: ``(Africa, East, Kenya)``."""
        return list(_paths(self.hierarchy, ()))


QuasiIdentifier = Annotated[
    RangeRule | DateRule | PrefixRule | CategoryRule, Field(discriminator="kind")
]


class Release(_Strict):
    """How the derived version is published: its tier, optionally new words for it, and the
    agreement that governs it."""

    tier: Tier
    title: Label | None = None
    licence: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=5000)] | None = None
    agreement: AgreementRef | None = Field(
        default=None, description="A published agreement version to govern it: agr_…@v1"
    )

    @property
    def agreement_version(self) -> tuple[str, int] | None:
        """``(agreement id, version number)`` of ``agreement``."""
        if self.agreement is None:
            return None
        agreement_id, _, number = self.agreement.rpartition("@v")
        return agreement_id, int(number)


class Spec(_Strict):
    """One derivation's rules (``format: 1``)."""

    format: Literal[1] = FORMAT
    drop: tuple[Column, ...] = ()
    pseudonymise: tuple[Column, ...] = ()
    quasi_identifiers: tuple[QuasiIdentifier, ...] = Field(default=(), max_length=20)
    sensitive: tuple[Column, ...] = ()
    keep: tuple[Column, ...] = ()
    not_identifiers: tuple[Column, ...] = Field(
        default=(), description="Columns the identifier scan flags wrongly, released anyway"
    )
    other_columns: Literal["drop", "keep"] = "drop"
    k: int = Field(ge=2, le=100_000)
    l: int | None = Field(default=None, ge=2, le=1000)  # noqa: E741 - the literature's name
    max_suppression: float = Field(default=0.05, ge=0, lt=1)
    release: Release

    @model_validator(mode="after")
    def _coherent(self) -> Spec:
        named = [
            *self.drop,
            *self.pseudonymise,
            *(q.column for q in self.quasi_identifiers),
            *self.sensitive,
            *self.keep,
        ]
        twice = sorted(c for c, n in Counter(named).items() if n > 1)
        if twice:
            raise ValueError(f"a column has one treatment only: {', '.join(twice[:5])}")
        if self.l is not None and not self.sensitive:
            raise ValueError("l-diversity needs the sensitive columns it applies to")
        if not self.quasi_identifiers:
            raise ValueError("name at least one quasi-identifier to generalise")
        return self

    @property
    def qi_columns(self) -> list[str]:
        return [q.column for q in self.quasi_identifiers]

    def named_columns(self) -> list[str]:
        return [
            *self.drop,
            *self.pseudonymise,
            *self.qi_columns,
            *self.sensitive,
            *self.keep,
            *self.not_identifiers,
        ]

    def released_in_clear(self, columns: Sequence[str]) -> list[str]:
        """The columns whose values leave unchanged (QIs are generalised, so not in clear)."""
        handled = {*self.drop, *self.pseudonymise, *self.qi_columns}
        clear = {*self.sensitive, *self.keep}
        return [
            c for c in columns if c in clear or (c not in handled and self.other_columns == "keep")
        ]

    def as_json(self) -> dict[str, Any]:
        """The spec as stored and logged: every field, unset optional ones left out."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_spec(raw: object) -> Spec:
    """A spec from a mapping, or from YAML/JSON text; ``InvalidInput`` names every bad field."""
    if isinstance(raw, str):
        raw = _load_yaml(raw)
    try:
        return Spec.model_validate(raw)
    except ValidationError as invalid:
        errors = field_errors(invalid, prefix="spec")
        summary = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
        raise InvalidInput(
            f"the transformation spec is invalid: {summary}",
            code="deid.invalid-spec",
            hint="fix the fields listed in `errors`; `accord deid scan` suggests a starting spec",
            errors=errors,
        ) from None


def check_columns(spec: Spec, columns: Sequence[str]) -> None:
    """Every column the spec names must exist in the source (all missing ones are listed)."""
    present = set(columns)
    errors = [
        FieldError(f"spec.{where}", f"the source has no column {name!r}")
        for where, name in _named_with_places(spec)
        if name not in present
    ]
    if errors:
        raise InvalidInput(
            "the spec names columns the source does not have: "
            + ", ".join(sorted({e.message.rsplit(" ", 1)[-1] for e in errors})),
            code="deid.unknown-column",
            hint=f"the source's columns are: {', '.join(columns[:50])}",
            errors=errors,
        )


def _named_with_places(spec: Spec) -> list[tuple[str, str]]:
    places: list[tuple[str, str]] = []
    for field in ("drop", "pseudonymise", "sensitive", "keep", "not_identifiers"):
        names: tuple[str, ...] = getattr(spec, field)
        places += [(f"{field}.{i}", name) for i, name in enumerate(names)]
    places += [
        (f"quasi_identifiers.{i}.column", q.column) for i, q in enumerate(spec.quasi_identifiers)
    ]
    return places


def _load_yaml(text: str) -> object:
    if len(text.encode()) > MAX_SPEC_BYTES:
        raise InvalidInput(
            f"the spec is larger than {MAX_SPEC_BYTES} bytes", code="deid.invalid-spec"
        )
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(
            f"the spec is not valid YAML{where}",
            code="deid.invalid-spec",
            hint="check the indentation and quoting",
        ) from None


def _paths(node: object, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(node, Mapping):
        return [p for label, child in node.items() for p in _paths(child, (*prefix, str(label)))]
    if isinstance(node, list | tuple):
        if not all(isinstance(value, str | int | float) for value in node):
            raise ValueError("a list in the hierarchy holds values, not further groups")
        return [(*prefix, str(value)) for value in node]
    if isinstance(node, str | int | float):
        return [(*prefix, str(node))]
    raise ValueError("a hierarchy is made of mappings (groups) and lists (values)")


def _leaves(node: object) -> list[str]:
    return [path[-1] for path in _paths(node, ())]


def _walk_labels(node: object, depth: int) -> list[str]:
    if isinstance(node, Mapping):
        return [
            item
            for label, child in node.items()
            for item in (str(label), *_walk_labels(child, depth + 1))
        ]
    if isinstance(node, list | tuple):
        return [str(v) for v in node]
    return [str(node)]

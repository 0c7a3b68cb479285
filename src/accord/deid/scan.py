"""The identifier scan: which columns of a source likely hold direct identifiers.

Two kinds of evidence (``patterns.py``): the column's name, and the share of a sample of its
values that match a value rule (with check digits where the identifier has them). A column of
nearly unique codes is flagged as a record key. Findings carry counts and rule names only,
never the values themselves. Before a derivation runs, ``require_handled`` refuses a spec that
would release a flagged direct identifier in clear.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict

from accord.deid.encode import as_text
from accord.deid.patterns import (
    KEY_NAME,
    NAME_RULES,
    VALUE_RULES,
    Kind,
    ValueRule,
    normalise_name,
)
from accord.deid.spec import Spec
from accord.errors import FieldError, InvalidInput

SAMPLE = 2000
HIGH = 0.8
SOME = 0.3
_CODE = re.compile(r"(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_/.-]+")
"""A record key looks like ``KE-00017`` or ``P123``: letters and digits, no spaces."""
_DIGITS = re.compile(r"\d+")
Confidence = Literal["high", "medium"]
Suggestion = Literal["drop", "pseudonymise", "generalise"]
_SUGGESTION: dict[Kind, Suggestion] = {
    Kind.NATIONAL_ID: "pseudonymise",
    Kind.RECORD_KEY: "pseudonymise",
    Kind.QUASI_IDENTIFIER: "generalise",
}


class Finding(BaseModel):
    """One column flagged, with why and what to do about it."""

    model_config = ConfigDict(frozen=True)

    column: str
    kind: Kind
    rule: str
    evidence: Literal["name", "values", "name and values"]
    share: float | None
    confidence: Confidence
    suggestion: Suggestion

    @property
    def direct(self) -> bool:
        return self.kind is not Kind.QUASI_IDENTIFIER


def scan(table: pa.Table, sample: int = SAMPLE) -> list[Finding]:
    """Findings for every column of ``table``, looking at up to ``sample`` evenly spaced rows."""
    rows = table.num_rows
    picked = np.unique(np.linspace(0, max(rows - 1, 0), num=min(sample, rows), dtype=np.int64))
    part = table.take(pa.array(picked)) if rows else table
    findings: list[Finding] = []
    for name in table.column_names:
        values = [v for v in as_text(part.column(name)).to_pylist() if v is not None]
        finding = _column_finding(name, values)
        if finding is not None:
            findings.append(finding)
    return findings


def require_handled(spec: Spec, columns: Sequence[str], findings: Sequence[Finding]) -> None:
    """Refuse to release a flagged direct identifier unless dropped or pseudonymised.

    A column the steward knows to be wrongly flagged is listed under ``not_identifiers``.
    """
    handled = {*spec.drop, *spec.pseudonymise, *spec.not_identifiers}
    released = set(spec.released_in_clear(columns)) | set(spec.qi_columns)
    exposed = [f for f in findings if f.direct and f.column in released - handled]
    if exposed:
        raise InvalidInput(
            "the spec would release likely direct identifiers: "
            + ", ".join(f"{f.column} ({f.kind.value})" for f in exposed),
            code="deid.identifier-released",
            hint="drop or pseudonymise these columns, or list them under not_identifiers "
            "if the scan is wrong about them",
            errors=[
                FieldError(f"columns.{f.column}", f"{f.rule}: {f.suggestion} it") for f in exposed
            ],
        )


def starter_spec(columns: Sequence[str], findings: Sequence[Finding]) -> dict[str, object]:
    """A first spec from the findings, for the steward to edit: drops, pseudonyms, and the
    flagged quasi-identifiers as categories to fill in."""
    by_column = {f.column: f for f in findings}
    drop = [c for c in columns if c in by_column and by_column[c].suggestion == "drop"]
    pseudonymise = [
        c for c in columns if c in by_column and by_column[c].suggestion == "pseudonymise"
    ]
    quasi = [c for c in columns if c in by_column and by_column[c].suggestion == "generalise"]
    return {
        "format": 1,
        "drop": drop,
        "pseudonymise": pseudonymise,
        "quasi_identifiers": [{"column": c, "kind": "range"} for c in quasi],
        "keep": [c for c in columns if c not in by_column],
        "k": 10,
        "release": {"tier": "registered"},
    }


def _column_finding(column: str, values: Sequence[str]) -> Finding | None:
    by_name = next(
        (rule for rule in NAME_RULES if rule.pattern.search(normalise_name(column))), None
    )
    by_values = _value_evidence(values)
    if by_values is not None:
        rule, share = by_values
        return Finding(
            column=column,
            kind=rule.kind,
            rule=rule.name,
            evidence="name and values" if by_name and by_name.kind is rule.kind else "values",
            share=round(share, 4),
            confidence="high" if share >= HIGH or by_name else "medium",
            suggestion=_suggest(rule.kind),
        )
    if by_name is not None:
        return Finding(
            column=column,
            kind=by_name.kind,
            rule=by_name.name,
            evidence="name",
            share=None,
            confidence="medium",
            suggestion=_suggest(by_name.kind),
        )
    return _record_key(column, values)


def _value_evidence(values: Sequence[str]) -> tuple[ValueRule, float] | None:
    if not values:
        return None
    distinct = len(set(values)) / len(values)
    best: tuple[ValueRule, float] | None = None
    for rule in VALUE_RULES:
        if rule.kind is Kind.PERSON_NAME and distinct < 0.5:
            continue
        share = sum(1 for v in values if rule.matches(v)) / len(values)
        if share >= SOME and (best is None or share > best[1]):
            best = (rule, share)
    return best


def _record_key(column: str, values: Sequence[str]) -> Finding | None:
    """Nearly unique codes; plain numbers count only under a key-like name (``patient_no``)."""
    if len(values) < 20 or len(set(values)) < 0.95 * len(values):
        return None
    pattern = _DIGITS if KEY_NAME.search(normalise_name(column)) else _CODE
    share = sum(1 for v in values if pattern.fullmatch(v)) / len(values)
    if share < HIGH:
        return None
    return Finding(
        column=column,
        kind=Kind.RECORD_KEY,
        rule="nearly unique codes (a record or person key)",
        evidence="values",
        share=round(share, 4),
        confidence="medium",
        suggestion="pseudonymise",
    )


def _suggest(kind: Kind) -> Suggestion:
    return _SUGGESTION.get(kind, "drop")

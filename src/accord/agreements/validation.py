"""Reading and checking agreement documents: shape, vocabulary, and consistency between clauses.

``parse_agreement`` returns a valid ``AgreementDocument`` or raises ``AgreementInvalid`` listing
every problem with the place it was found (``duo.modifiers[2].code``); nothing partial escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any

import yaml
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]
from pydantic import ValidationError

from accord.agreements import errors
from accord.agreements.disclosure import RULE_KINDS
from accord.agreements.document import (
    AgreementDocument,
    Constraint,
    Modifier,
    OdrlPolicy,
    PurposeConstraint,
    Tier,
)
from accord.agreements.duo import Duo
from accord.agreements.errors import AgreementInvalid, Problem
from accord.agreements.jurisdictions import countries
from accord.agreements.ontology import Vocabulary, default_vocabulary

MAX_DOCUMENT_BYTES = 256 * 1024

_PARAMETERS: dict[str, tuple[str, bool]] = {
    Duo.GS: ("countries", True),
    Duo.TS: ("months", True),
    Duo.MOR: ("until", True),
    Duo.IS: ("institutions", True),
    Duo.RS: ("research_types", True),
    Duo.PS: ("projects", False),
    Duo.US: ("users", False),
}
"""Modifier → (its parameter, whether the parameter is required)."""

_ALL_PARAMETERS = (
    "countries",
    "months",
    "until",
    "projects",
    "users",
    "institutions",
    "research_types",
)
_UNION_TAGS = frozenset(
    [
        "purpose",
        "spatial",
        "recipient",
        "dateTime",
        "elapsedTime",
        "count",
        "cite",
        "report-publications",
        "delete-after-use",
        "offer-coauthorship",
        "return-derived-data",
    ]
)
_NEEDS_IDENTITY: dict[str, str] = {
    Duo.IRB: "ethics approval",
    Duo.US: "approved users",
    Duo.PS: "approved projects",
}


def load_agreement(text: str, vocabulary: Vocabulary | None = None) -> AgreementDocument:
    """Parse a YAML or JSON agreement document and validate it."""
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise AgreementInvalid([Problem("$", f"the document is over {MAX_DOCUMENT_BYTES} bytes")])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "$"
        raise AgreementInvalid([Problem(where, f"not valid YAML or JSON: {exc}")]) from None
    return parse_agreement(data, vocabulary)


def parse_agreement(data: object, vocabulary: Vocabulary | None = None) -> AgreementDocument:
    """Validate decoded data as an agreement (shape, then meaning); raise with every problem."""
    if not isinstance(data, Mapping):
        raise AgreementInvalid([Problem("$", "an agreement is a mapping of sections")])
    try:
        document = AgreementDocument.model_validate(data)
    except ValidationError as exc:
        raise AgreementInvalid([_from_pydantic(e) for e in exc.errors()]) from None
    check_agreement(document, vocabulary or default_vocabulary())
    return document


def check_agreement(document: AgreementDocument, vocabulary: Vocabulary) -> None:
    """Raise ``AgreementInvalid`` if the document's terms are unknown or its clauses contradict."""
    problems = [
        *_licence(document),
        *_duo(document, vocabulary),
        *check_policy(document.odrl, vocabulary),
        *_contradictions(document, vocabulary),
    ]
    if problems:
        raise AgreementInvalid(problems)


def check_policy(policy: OdrlPolicy, vocabulary: Vocabulary) -> list[Problem]:
    """Problems of an ODRL section: operand arity, purpose terms, contradictory rules."""
    return [*_odrl(policy, vocabulary), *_rule_contradictions(policy)]


def location(parts: Sequence[int | str]) -> str:
    """``('duo', 'modifiers', 2, 'code')`` → ``duo.modifiers[2].code``."""
    text = ""
    previous: int | str | None = None
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not ((isinstance(previous, int) and part in _UNION_TAGS) or part in RULE_KINDS):
            text += f".{part}" if text else part
        previous = part
    return text or "$"


def _from_pydantic(error: Mapping[str, Any]) -> Problem:
    loc = location(error["loc"])
    if error["type"] == "unknown_country":
        return Problem(loc, error["msg"], errors.UNKNOWN_COUNTRY)
    code = errors.INVALID_ODRL if loc.startswith("odrl") else errors.INVALID
    return Problem(loc, error["msg"], code)


def _licence(document: AgreementDocument) -> Iterator[Problem]:
    info = _spdx().validate(document.licence)
    unknown = [
        s for s in info.invalid_symbols if not str(s).startswith(("LicenseRef-", "DocumentRef-"))
    ]
    if unknown or (info.errors and not info.invalid_symbols):
        detail = ", ".join(map(str, unknown)) or "; ".join(info.errors)
        yield Problem(
            "licence", f"not an SPDX licence expression ({detail})", errors.INVALID_LICENCE
        )


@cache
def _spdx() -> Any:
    """The SPDX licence index, read once (license-expression ships it)."""
    return get_spdx_licensing()


def _duo(document: AgreementDocument, vocabulary: Vocabulary) -> Iterator[Problem]:
    duo = vocabulary.duo
    permission = duo.resolve(document.duo.permission)
    if permission is None or not duo.is_permission(permission):
        yield _not_a(document.duo.permission, "data-use permission", "duo.permission")
    if permission == Duo.DS and not document.duo.diseases:
        yield Problem("duo.diseases", "DS (disease specific research) needs at least one disease")
    if permission is not None and permission != Duo.DS and document.duo.diseases:
        yield Problem("duo.diseases", "diseases are named only with the DS permission")
    for index, disease in enumerate(document.duo.diseases):
        if disease not in vocabulary.diseases:
            yield Problem(
                f"duo.diseases[{index}]",
                f"'{disease}' is not in the node's disease ontology",
                errors.UNKNOWN_DISEASE,
            )
    seen: dict[str, int] = {}
    for index, modifier in enumerate(document.duo.modifiers):
        where = f"duo.modifiers[{index}]"
        term = duo.resolve(modifier.code)
        if term is None or not duo.is_modifier(term):
            yield _not_a(modifier.code, "data-use modifier", f"{where}.code")
            continue
        if term in seen:
            yield Problem(where, f"{modifier.code} is already given at duo.modifiers[{seen[term]}]")
        seen[term] = index
        yield from _modifier_parameters(modifier, term, where, vocabulary)


def _modifier_parameters(
    modifier: Modifier, term: str, where: str, vocabulary: Vocabulary
) -> Iterator[Problem]:
    own, required = _PARAMETERS.get(term, (None, False))
    for name in _ALL_PARAMETERS:
        given = getattr(modifier, name) not in (None, ())
        if given and name != own:
            yield Problem(f"{where}.{name}", f"{modifier.code} takes no '{name}'")
        elif not given and name == own and required:
            yield Problem(f"{where}.{name}", f"{modifier.code} needs '{name}'")
    for index, code in enumerate(modifier.research_types):
        resolved = vocabulary.duo.resolve(code)
        if resolved is None or not vocabulary.duo.is_research_type(resolved):
            yield _not_a(code, "research type", f"{where}.research_types[{index}]")


def _odrl(policy: OdrlPolicy, vocabulary: Vocabulary) -> Iterator[Problem]:
    rules: list[tuple[str, int, tuple[Constraint, ...]]] = [
        *(("permissions", i, r.constraints) for i, r in enumerate(policy.permissions)),
        *(("prohibitions", i, r.constraints) for i, r in enumerate(policy.prohibitions)),
    ]
    for kind, number, constraints in rules:
        for index, constraint in enumerate(constraints):
            at = f"odrl.{kind}[{number}].constraints[{index}]"
            operand = constraint.right_operand
            single = not isinstance(operand, tuple) or len(operand) == 1
            if constraint.operator in ("eq", "neq") and not single:
                yield Problem(
                    f"{at}.right_operand",
                    f"'{constraint.operator}' compares with exactly one value",
                    errors.INVALID_ODRL,
                )
            if isinstance(constraint, PurposeConstraint):
                yield from _purpose_terms(constraint, at, vocabulary)


def _purpose_terms(
    constraint: PurposeConstraint, at: str, vocabulary: Vocabulary
) -> Iterator[Problem]:
    for index, code in enumerate(constraint.right_operand):
        term = vocabulary.duo.resolve(code)
        usable = term is not None and (
            vocabulary.duo.is_permission(term) or vocabulary.duo.is_research_type(term)
        )
        if not usable:
            yield _not_a(
                code, "purpose (permission or research type)", f"{at}.right_operand[{index}]"
            )


def _contradictions(document: AgreementDocument, vocabulary: Vocabulary) -> Iterator[Problem]:
    yield from _export_contradictions(document)
    yield from _tier_contradictions(document, vocabulary)
    yield from _duo_contradictions(document, vocabulary)


def _export_contradictions(document: AgreementDocument) -> Iterator[Problem]:
    export = document.export
    allowed = countries(export.allowed or ())
    both = sorted(allowed & countries(export.forbidden))
    if both:
        yield _contradiction("export.forbidden", f"{', '.join(both)} also in export.allowed")
    if document.residency is not None and export.allowed is not None:
        outside = sorted(allowed - countries(document.residency.jurisdictions))
        if outside:
            yield _contradiction(
                "export.allowed",
                f"{', '.join(outside)} may receive the data but residency.jurisdictions "
                "does not let it be stored there",
            )
    if document.tier is Tier.RESTRICTED and export.allowed:
        yield _contradiction("export.allowed", "restricted data never leaves the node")


def _tier_contradictions(document: AgreementDocument, vocabulary: Vocabulary) -> Iterator[Problem]:
    if document.tier in (Tier.CONTROLLED, Tier.RESTRICTED) and document.committee is None:
        yield Problem("committee", f"{document.tier.value} data needs a responsible committee")
    if document.tier is not Tier.OPEN:
        return
    if document.disclosure is not None:
        yield _contradiction(
            "disclosure", "open data is downloaded by anyone, so no sandbox output is checked"
        )
    if document.accreditations:
        yield _contradiction(
            "accreditations", "open data is for anyone, so it cannot require accreditations"
        )
    for index, modifier in enumerate(document.duo.modifiers):
        term = vocabulary.duo.resolve(modifier.code)
        if term in _NEEDS_IDENTITY:
            yield _contradiction(
                f"duo.modifiers[{index}]",
                f"open data is for anyone, so it cannot require {_NEEDS_IDENTITY[term]}",
            )


def _duo_contradictions(document: AgreementDocument, vocabulary: Vocabulary) -> Iterator[Problem]:
    permission = vocabulary.duo.resolve(document.duo.permission)
    modifiers = {vocabulary.duo.resolve(m.code): i for i, m in enumerate(document.duo.modifiers)}
    if permission == Duo.POA and Duo.NPOA in modifiers:
        yield _contradiction(
            f"duo.modifiers[{modifiers[Duo.NPOA]}]",
            "NPOA forbids the only use POA permits (population origins or ancestry research)",
        )
    non_commercial = {Duo.NCU, Duo.NPUNCU} & modifiers.keys()
    for index, rule in enumerate(document.odrl.permissions):
        if rule.action == "commercialize" and non_commercial:
            term = vocabulary.duo.shorthand(next(iter(non_commercial)))
            yield _contradiction(
                f"odrl.permissions[{index}]", f"permits commercial use, which {term} forbids"
            )


def _rule_contradictions(policy: OdrlPolicy) -> Iterator[Problem]:
    unconditional = {r.action: i for i, r in enumerate(policy.permissions) if not r.constraints}
    for index, rule in enumerate(policy.prohibitions):
        if not rule.constraints and rule.action in unconditional:
            yield _contradiction(
                f"odrl.prohibitions[{index}]",
                f"prohibits '{rule.action}' without condition, which "
                f"odrl.permissions[{unconditional[rule.action]}] permits without condition",
            )


def _not_a(code: str, what: str, where: str) -> Problem:
    return Problem(where, f"'{code}' is not a DUO {what} term", errors.INVALID_DUO_CODE)


def _contradiction(where: str, message: str) -> Problem:
    return Problem(where, f"contradicts another rule: {message}", errors.CONTRADICTORY)


def dumps(document: AgreementDocument) -> str:
    """The canonical JSON text of a document (sorted keys), as published."""
    return json.dumps(document.as_data(), sort_keys=True, ensure_ascii=False)

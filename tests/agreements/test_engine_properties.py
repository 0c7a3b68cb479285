"""Invariants of the engine over generated agreements and requests (hypothesis).

- Adding a prohibition never makes a decision more permissive (deny stays deny).
- Narrowing a purpose (a term replaced by a descendant: a category, a research type or a
  disease) never makes a decision less permissive (permit stays permit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord.agreements.compiled import compile_agreement
from accord.agreements.context import Context, OrganisationKind, Purpose
from accord.agreements.decision import OUTCOME_ORDER, Decision, Mode
from accord.agreements.duo import Duo
from accord.agreements.engine import evaluate
from accord.agreements.errors import AgreementInvalid
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import parse_agreement
from tests.agreements.builders import ORG_A, ORG_B, context

VOCAB = default_vocabulary()
DISEASES = (
    sorted(VOCAB.diseases.descendants("MONDO:0004992"))[:40]
    + sorted(VOCAB.diseases.descendants("MONDO:0005015"))[:20]
)
CATEGORIES = ["GRU", "HMB", "DS", "POA"]
RESEARCH_TYPES = [f"DUO:00000{n}" for n in range(31, 41)]
COUNTRIES = ["BR", "PT", "DE", "KE", "US"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _constraint() -> st.SearchStrategy[dict[str, Any]]:
    def make(left: str, ops: list[str], right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.fixed_dictionaries(
            {
                "left_operand": st.just(left),
                "operator": st.sampled_from(ops),
                "right_operand": right,
            }
        )

    one_country = st.sampled_from(COUNTRIES)
    return st.one_of(
        make(
            "purpose",
            ["isA", "isAnyOf", "isNoneOf"],
            st.lists(st.sampled_from(CATEGORIES + RESEARCH_TYPES), min_size=1, max_size=2),
        ),
        make("spatial", ["eq", "neq"], one_country),
        make("spatial", ["isAnyOf", "isNoneOf"], st.lists(one_country, min_size=1, max_size=3)),
        make("recipient", ["eq", "neq"], st.sampled_from([ORG_A, ORG_B])),
        make(
            "dateTime",
            ["lt", "gteq"],
            st.sampled_from(["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]),
        ),
        make("elapsedTime", ["lteq", "gt"], st.sampled_from(["P30D", "P6M", "P1Y"])),
        make("count", ["lteq", "eq", "gt"], st.integers(0, 4)),
    )


def _rule(actions: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"action": st.sampled_from(actions), "constraints": st.lists(_constraint(), max_size=2)}
    )


RARELY = st.sampled_from([False, False, False, True])
PROHIBITION = _rule(["use", "commercialize", "reproduce", "distribute"])


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    permission = draw(st.sampled_from(["NRES", "GRU", "HMB", "DS", "POA"]))
    duo: dict[str, Any] = {"permission": permission}
    if permission == "DS":
        duo["diseases"] = draw(
            st.lists(st.sampled_from(DISEASES), min_size=1, max_size=2, unique=True)
        )
    simple = ["NCU", "NPU", "IRB", "PUB", "GSO", "NMDS", "COL", "CC"]
    if permission != "POA":
        simple.append("NPOA")
    modifiers: list[Any] = draw(st.lists(st.sampled_from(simple), max_size=3, unique=True))
    if draw(st.booleans()):
        modifiers.append(
            {
                "code": "GS",
                "countries": draw(
                    st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True)
                ),
            }
        )
    if draw(RARELY):
        modifiers.append({"code": "RS", "research_types": [draw(st.sampled_from(RESEARCH_TYPES))]})
    duo["modifiers"] = modifiers
    data: dict[str, Any] = {
        "title": "generated",
        "tier": draw(st.sampled_from(["registered", "controlled", "restricted"])),
        "licence": "CC-BY-4.0",
        "duo": duo,
        "committee": {
            "name": "DAC",
            "review": draw(st.sampled_from(["every-request", "exceptions"])),
        },
        "odrl": {
            "permissions": draw(st.lists(_rule(["use"]), max_size=2)),
            "prohibitions": draw(st.lists(PROHIBITION, max_size=2)),
        },
    }
    if draw(st.booleans()):
        data["residency"] = {
            "jurisdictions": draw(
                st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True)
            )
        }
    if draw(st.booleans()):
        data["export"] = {
            "forbidden": draw(st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True))
        }
    if draw(st.booleans()):
        data["max_grant_duration"] = draw(st.sampled_from(["P3M", "P1Y"]))
    return data


@st.composite
def contexts(draw: st.DrawFn) -> Context:
    categories = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True))
    research = draw(st.lists(st.sampled_from(RESEARCH_TYPES), max_size=2, unique=True))
    return context(
        purpose=categories + research + (["CC"] if draw(RARELY) else []),
        diseases=draw(st.lists(st.sampled_from(DISEASES), max_size=2, unique=True)),
        commercial=draw(RARELY),
        ethics_approval=not draw(RARELY),
        country=draw(st.sampled_from(COUNTRIES)),
        node_country=draw(st.sampled_from(COUNTRIES)),
        organisation=draw(st.sampled_from([ORG_A, ORG_B, None])),
        organisation_kind=draw(
            st.sampled_from([OrganisationKind.NOT_FOR_PROFIT] * 3 + list(OrganisationKind))
        ),
        mode=draw(st.sampled_from([Mode.DOWNLOAD, Mode.SANDBOX])),
        duration=draw(st.sampled_from(["P30D", "P90D", "P6M", "P1Y"])),
        prior_uses=draw(st.integers(0, 4)),
    )


def _decide(data: dict[str, Any], request: Context) -> Decision:
    try:
        document = parse_agreement(data)
    except AgreementInvalid:
        assume(False)
        raise
    return evaluate(compile_agreement(document), request)


def _rank(decision: Decision) -> int:
    return OUTCOME_ORDER[decision.outcome]


@SETTINGS
@given(documents(), PROHIBITION, contexts())
def test_adding_a_prohibition_never_permits_more(
    data: dict[str, Any], prohibition: dict[str, Any], request: Context
) -> None:
    before = _decide(data, request)
    stricter = {
        **data,
        "odrl": {**data["odrl"], "prohibitions": [*data["odrl"]["prohibitions"], prohibition]},
    }

    after = _decide(stricter, request)

    assert _rank(after) <= _rank(before)
    if before.mode is Mode.SANDBOX:
        assert after.mode is not Mode.DOWNLOAD


@st.composite
def narrowings(draw: st.DrawFn, purpose: Purpose) -> Purpose:
    """The purpose with one of its terms replaced by one of that term's descendants."""
    options: list[tuple[str, str]] = [("categories", t) for t in purpose.categories]
    options += [("research_types", t) for t in purpose.research_types]
    options += [("diseases", t) for t in purpose.diseases]
    field, term = draw(st.sampled_from(options))
    tree = VOCAB.diseases if field == "diseases" else VOCAB.duo
    below = sorted(tree.descendants(term))
    if field == "categories":
        below = [t for t in below if VOCAB.duo.is_permission(t) and t != Duo.NRES]
    narrower = draw(st.sampled_from(below))
    current: frozenset[str] = getattr(purpose, field)
    return replace(purpose, **{field: (current - {term}) | {narrower}})


@SETTINGS
@given(documents(), contexts(), st.data())
def test_narrowing_a_purpose_never_permits_less(
    data: dict[str, Any], request: Context, more: st.DataObject
) -> None:
    narrowed = replace(request, purpose=more.draw(narrowings(request.purpose)))

    before = _decide(data, request)
    after = _decide(data, narrowed)

    assert _rank(after) >= _rank(before)


def test_narrowing_can_turn_a_denial_into_a_permit() -> None:
    """The property above is not vacuous: HMB data refuses GRU but admits its descendant HMB."""
    data = {
        "title": "t",
        "tier": "registered",
        "licence": "CC-BY-4.0",
        "duo": {"permission": "HMB"},
    }
    broad = context(purpose=["GRU"])
    narrow = replace(broad, purpose=replace(broad.purpose, categories=frozenset({Duo.HMB})))

    assert (_decide(data, broad).outcome.value, _decide(data, narrow).outcome.value) == (
        "deny",
        "permit",
    )


PURPOSE_TERMS = st.sampled_from(CATEGORIES + RESEARCH_TYPES)


@st.composite
def purpose_policies(draw: st.DrawFn) -> dict[str, Any]:
    """Agreements whose only conditions are ODRL purpose rules (where narrowing matters most)."""

    def purpose_rule(action: str) -> dict[str, Any]:
        operator = draw(st.sampled_from(["isA", "isAnyOf", "isNoneOf"]))
        terms = draw(st.lists(PURPOSE_TERMS, min_size=1, max_size=2, unique=True))
        spec = {"left_operand": "purpose", "operator": operator, "right_operand": terms}
        return {"action": action, "constraints": [spec]}

    return {
        "title": "purpose rules",
        "tier": "registered",
        "licence": "CC-BY-4.0",
        "duo": {"permission": draw(st.sampled_from(["NRES", "GRU"]))},
        "odrl": {
            "permissions": [purpose_rule("use") for _ in range(draw(st.integers(0, 1)))],
            "prohibitions": [purpose_rule("use") for _ in range(draw(st.integers(0, 2)))],
        },
    }


@SETTINGS
@given(purpose_policies(), contexts(), st.data())
def test_narrowing_never_makes_a_purpose_rule_refuse(
    data: dict[str, Any], request: Context, more: st.DataObject
) -> None:
    request = replace(
        request, requester=replace(request.requester, country="BR"), node_country="BR"
    )
    narrowed = replace(request, purpose=more.draw(narrowings(request.purpose)))

    assert _rank(_decide(data, narrowed)) >= _rank(_decide(data, request))

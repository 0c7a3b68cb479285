"""The ``disclosure`` section of agreements: shape, meaning, plain language and interchange."""

from __future__ import annotations

from typing import Any

import pytest

from accord.agreements import errors
from accord.agreements.errors import AgreementInvalid
from accord.agreements.explain import explain_agreement
from accord.agreements.odrl import agreement_from_odrl, agreement_to_odrl
from accord.agreements.ontology import default_vocabulary
from accord.agreements.validation import load_agreement, parse_agreement
from tests.agreements.builders import document_data

SECTION: dict[str, Any] = {
    "min_cell_count": 20,
    "dominance": {"kind": "n-k", "n": 3, "k": 80},
    "rounding": {"counts_base": 5},
    "microdata": False,
    "review": "always",
    "privacy_budget": 2.5,
}


def problems(disclosure: Any, **sections: Any) -> list[tuple[str, str]]:
    with pytest.raises(AgreementInvalid) as caught:
        parse_agreement(document_data(disclosure=disclosure, **sections))
    return [(p.location, p.code) for p in caught.value.problems]


def test_a_full_section_parses_and_is_published_as_written() -> None:
    document = parse_agreement(document_data(disclosure=SECTION))

    assert document.as_data()["disclosure"] == SECTION
    assert document.disclosure is not None and document.disclosure.privacy_budget == 2.5


def test_every_setting_may_be_left_to_the_node() -> None:
    document = parse_agreement(document_data(disclosure={}))

    assert document.disclosure is not None
    assert document.disclosure.model_fields_set == set()


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ({"min_cell_count": 0}, "disclosure.min_cell_count"),
        ({"min_cell_count": "many"}, "disclosure.min_cell_count"),
        ({"dominance": {"kind": "n-k", "n": 9}}, "disclosure.dominance.n"),
        ({"dominance": {"kind": "p-percent", "p": 120}}, "disclosure.dominance.p"),
        ({"dominance": {"kind": "median"}}, "disclosure.dominance"),
        ({"rounding": {"counts_base": 0}}, "disclosure.rounding.counts_base"),
        ({"review": "never"}, "disclosure.review"),
        ({"privacy_budget": 0}, "disclosure.privacy_budget"),
        ({"privacy_budget": 1000}, "disclosure.privacy_budget"),
        ({"epsilon": 1}, "disclosure.epsilon"),
    ],
)
def test_a_bad_setting_is_named_by_its_place(section: dict[str, Any], where: str) -> None:
    assert problems(section) == [(where, errors.INVALID)]


def test_open_data_takes_no_disclosure_section() -> None:
    assert problems({"min_cell_count": 5}, tier="open") == [("disclosure", errors.CONTRADICTORY)]


def test_yaml_documents_carry_the_section() -> None:
    text = (
        "title: Survey\ntier: registered\nlicence: CC-BY-4.0\nduo: {permission: GRU}\n"
        "disclosure:\n  min_cell_count: 15\n  dominance: {kind: none}\n"
    )
    document = load_agreement(text)

    assert document.as_data()["disclosure"] == {"min_cell_count": 15, "dominance": {"kind": "none"}}


def test_plain_language_states_each_setting() -> None:
    document = parse_agreement(document_data(disclosure=SECTION))
    sections = {s.heading: s.lines for s in explain_agreement(document, default_vocabulary())}

    assert sections["Sandbox outputs"] == (
        "Every released cell counts at least 20 people.",
        "No sum may have its 3 largest contributors hold over 80%.",
        "Counts are rounded to multiples of 5.",
        "Row-level outputs are never released.",
        "An output checker reviews every output before release.",
        "Differentially private measurements may spend epsilon 2.5 per researcher and dataset, "
        "across all their grants.",
    )


def test_odrl_interchange_keeps_the_section() -> None:
    document = parse_agreement(document_data(disclosure=SECTION))

    assert agreement_from_odrl(agreement_to_odrl(document, "urn:accord:agr_1")) == document

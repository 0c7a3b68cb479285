"""Bad agreements are refused with errors that name the place; nothing partial comes back."""

from __future__ import annotations

from typing import Any

import pytest

from accord.agreements import errors
from accord.agreements.compiled import compile_agreement
from accord.agreements.document import AgreementDocument
from accord.agreements.errors import AgreementInvalid, Problem
from accord.agreements.validation import load_agreement, location, parse_agreement
from tests.agreements.builders import BASE, CANCER, document_data


def problems_of(data: Any) -> list[Problem]:
    with pytest.raises(AgreementInvalid) as caught:
        parse_agreement(data)
    return list(caught.value.problems)


def only_problem(data: Any) -> Problem:
    [problem] = problems_of(data)
    return problem


def test_a_valid_document_parses() -> None:
    document = parse_agreement(document_data())

    assert isinstance(document, AgreementDocument)
    assert document.as_data() == {"format": 1, **BASE}


def test_unknown_duo_code_names_the_modifier() -> None:
    data = document_data(duo={"permission": "HMB", "modifiers": ["NCU", "IRB", "DUO:9999999"]})

    problem = only_problem(data)

    assert problem.location == "duo.modifiers[2].code"
    assert problem.code == errors.INVALID_DUO_CODE
    assert "DUO:9999999" in problem.message


def test_a_modifier_as_permission_is_refused() -> None:
    problem = only_problem(document_data(duo={"permission": "NCU"}))

    assert (problem.location, problem.code) == ("duo.permission", errors.INVALID_DUO_CODE)


def test_a_permission_as_modifier_is_refused() -> None:
    problem = only_problem(document_data(duo={"permission": "GRU", "modifiers": ["HMB"]}))

    assert (problem.location, problem.code) == ("duo.modifiers[0].code", errors.INVALID_DUO_CODE)


def test_an_obsolete_duo_term_is_unknown() -> None:
    problem = only_problem(document_data(duo={"permission": "DUO:0000005"}))

    assert problem.code == errors.INVALID_DUO_CODE


def test_unknown_country_names_the_place() -> None:
    data = document_data(residency={"jurisdictions": ["BR", "XX"]})

    problem = only_problem(data)

    assert problem.location == "residency.jurisdictions[1]"
    assert problem.code == errors.UNKNOWN_COUNTRY
    assert "XX" in problem.message


def test_unknown_country_inside_an_odrl_constraint() -> None:
    rule = {
        "action": "use",
        "constraints": [{"left_operand": "spatial", "operator": "eq", "right_operand": "ZZ"}],
    }

    problem = only_problem(document_data(odrl={"permissions": [rule]}))

    assert problem.location == "odrl.permissions[0].constraints[0].right_operand[0]"
    assert problem.code == errors.UNKNOWN_COUNTRY


@pytest.mark.parametrize(
    ("policy", "where"),
    [
        ({"permissions": [{"action": "fly"}]}, "odrl.permissions[0].action"),
        ({"conflict": "perm"}, "odrl.conflict"),
        (
            {"prohibitions": [{"action": "use", "constraints": [{"left_operand": "mood"}]}]},
            "odrl.prohibitions[0].constraints[0]",
        ),
        (
            {
                "permissions": [
                    {
                        "action": "use",
                        "constraints": [
                            {"left_operand": "count", "operator": "isA", "right_operand": 2}
                        ],
                    }
                ]
            },
            "odrl.permissions[0].constraints[0].operator",
        ),
        (
            {
                "permissions": [
                    {
                        "action": "use",
                        "constraints": [
                            {
                                "left_operand": "spatial",
                                "operator": "eq",
                                "right_operand": ["BR", "PT"],
                            }
                        ],
                    }
                ]
            },
            "odrl.permissions[0].constraints[0].right_operand",
        ),
        (
            {
                "permissions": [
                    {
                        "action": "use",
                        "constraints": [
                            {"left_operand": "purpose", "operator": "isA", "right_operand": "NCU"}
                        ],
                    }
                ]
            },
            "odrl.permissions[0].constraints[0].right_operand[0]",
        ),
    ],
)
def test_invalid_odrl_names_the_place(policy: dict[str, Any], where: str) -> None:
    problem = only_problem(document_data(odrl=policy))

    assert problem.location == where
    assert problem.code in (errors.INVALID_ODRL, errors.INVALID_DUO_CODE)


@pytest.mark.parametrize(
    ("sections", "where"),
    [
        ({"export": {"allowed": ["BR", "PT"], "forbidden": ["PT"]}}, "export.forbidden"),
        (
            {"residency": {"jurisdictions": ["BR"]}, "export": {"allowed": ["PT"]}},
            "export.allowed",
        ),
        (
            {"tier": "restricted", "committee": {"name": "DAC"}, "export": {"allowed": ["BR"]}},
            "export.allowed",
        ),
        ({"tier": "open", "accreditations": ["researcher"]}, "accreditations"),
        ({"tier": "open", "duo": {"permission": "NRES", "modifiers": ["IRB"]}}, "duo.modifiers[0]"),
        ({"duo": {"permission": "POA", "modifiers": ["NPOA"]}}, "duo.modifiers[0]"),
        (
            {
                "duo": {"permission": "GRU", "modifiers": ["NCU"]},
                "odrl": {"permissions": [{"action": "commercialize"}]},
            },
            "odrl.permissions[0]",
        ),
        (
            {"odrl": {"permissions": [{"action": "use"}], "prohibitions": [{"action": "use"}]}},
            "odrl.prohibitions[0]",
        ),
    ],
)
def test_contradictory_rules_are_refused(sections: dict[str, Any], where: str) -> None:
    problem = only_problem(document_data(**sections))

    assert (problem.location, problem.code) == (where, errors.CONTRADICTORY)


@pytest.mark.parametrize(
    ("duo", "where"),
    [
        ({"permission": "DS"}, "duo.diseases"),
        ({"permission": "HMB", "diseases": [CANCER]}, "duo.diseases"),
        ({"permission": "GRU", "modifiers": [{"code": "GS"}]}, "duo.modifiers[0].countries"),
        ({"permission": "GRU", "modifiers": [{"code": "TS"}]}, "duo.modifiers[0].months"),
        (
            {"permission": "GRU", "modifiers": [{"code": "NCU", "months": 3}]},
            "duo.modifiers[0].months",
        ),
        ({"permission": "GRU", "modifiers": ["NCU", "NCU"]}, "duo.modifiers[1]"),
        (
            {"permission": "GRU", "modifiers": [{"code": "RS", "research_types": ["HMB"]}]},
            "duo.modifiers[0].research_types[0]",
        ),
    ],
)
def test_duo_parameters_are_checked(duo: dict[str, Any], where: str) -> None:
    assert only_problem(document_data(duo=duo)).location == where


def test_unknown_disease_is_refused() -> None:
    problem = only_problem(document_data(duo={"permission": "DS", "diseases": ["MONDO:9999999"]}))

    assert (problem.location, problem.code) == ("duo.diseases[0]", errors.UNKNOWN_DISEASE)


def test_controlled_data_needs_a_committee() -> None:
    assert only_problem(document_data(tier="controlled")).location == "committee"


def test_licence_must_be_spdx() -> None:
    problem = only_problem(document_data(licence="Do-What-You-Like"))

    assert (problem.location, problem.code) == ("licence", errors.INVALID_LICENCE)


def test_licence_refs_are_allowed() -> None:
    assert (
        parse_agreement(document_data(licence="LicenseRef-node-dua")).licence
        == "LicenseRef-node-dua"
    )


def test_every_problem_is_reported_at_once() -> None:
    data = document_data(
        duo={"permission": "HMB", "modifiers": ["DUO:9999999"]},
        licence="nonsense",
        export={"allowed": ["BR"], "forbidden": ["BR"]},
    )

    problems = problems_of(data)

    assert {p.location for p in problems} == {
        "duo.modifiers[0].code",
        "licence",
        "export.forbidden",
    }


def test_the_error_has_the_node_error_shape() -> None:
    data = document_data(duo={"permission": "HMB", "modifiers": ["NCU", "IRB", "DUO:9999999"]})
    with pytest.raises(AgreementInvalid) as caught:
        parse_agreement(data)

    problem = caught.value.problem()

    assert problem["type"] == "/problems/agreement.invalid-duo-code"
    assert problem["status"] == 422
    assert problem["errors"][0]["location"] == "duo.modifiers[2].code"
    assert "explain --terms" in problem["hint"]


def test_mixed_problems_use_the_general_code() -> None:
    with pytest.raises(AgreementInvalid) as caught:
        parse_agreement({**document_data(residency={"jurisdictions": ["XX"]}), "colour": "blue"})

    assert caught.value.code == errors.INVALID


def test_unknown_fields_are_refused() -> None:
    assert only_problem({**document_data(), "colour": "blue"}).location == "colour"


def test_a_document_must_be_a_mapping() -> None:
    assert only_problem(["not", "a", "mapping"]).location == "$"


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(AgreementInvalid) as caught:
        load_agreement("title: x\ntier: [open\n")

    assert caught.value.problems[0].location.startswith("line ")


def test_oversized_documents_are_refused() -> None:
    with pytest.raises(AgreementInvalid):
        load_agreement("title: " + "x" * 300_000)


def test_compiling_an_unchecked_document_checks_it() -> None:
    document = AgreementDocument.model_validate(document_data(duo={"permission": "NCU"}))

    with pytest.raises(AgreementInvalid):
        compile_agreement(document)


def test_locations_read_as_paths() -> None:
    assert location(("odrl", "permissions", 0, "constraints", 1, "spatial", "operator")) == (
        "odrl.permissions[0].constraints[1].operator"
    )
    assert location(()) == "$"

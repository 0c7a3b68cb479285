"""ODRL 2.2 JSON-LD export and import."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accord.agreements import errors
from accord.agreements.document import OdrlPolicy
from accord.agreements.errors import AgreementInvalid
from accord.agreements.odrl import agreement_from_odrl, agreement_to_odrl, policy_from_odrl
from accord.agreements.templates import NAMES, load_template
from accord.agreements.validation import parse_agreement
from tests.agreements.builders import ORG_A, document_data


@pytest.mark.parametrize("name", NAMES)
def test_templates_round_trip_through_json_ld(name: str) -> None:
    document = load_template(name)

    exported = json.loads(json.dumps(agreement_to_odrl(document, f"urn:test:{name}")))

    assert agreement_from_odrl(exported) == document


def test_hand_written_rules_round_trip() -> None:
    rules = {
        "permissions": [
            {
                "action": "use",
                "constraints": [
                    {"left_operand": "purpose", "operator": "isA", "right_operand": ["HMB"]},
                    {"left_operand": "recipient", "operator": "isAnyOf", "right_operand": [ORG_A]},
                    {
                        "left_operand": "dateTime",
                        "operator": "lt",
                        "right_operand": "2030-01-01T00:00:00Z",
                    },
                    {"left_operand": "elapsedTime", "operator": "lteq", "right_operand": "P6M"},
                    {"left_operand": "count", "operator": "lteq", "right_operand": 5},
                ],
                "duties": [{"action": "attribute", "note": "cite the DOI"}],
            }
        ],
        "prohibitions": [
            {
                "action": "reproduce",
                "constraints": [
                    {"left_operand": "spatial", "operator": "isAnyOf", "right_operand": ["US"]}
                ],
            }
        ],
        "obligations": [{"action": "delete"}],
    }
    document = parse_agreement(document_data(odrl=rules))

    back = agreement_from_odrl(agreement_to_odrl(document, "urn:test:rules"))

    assert back.odrl == document.odrl


def test_export_speaks_odrl_with_duo_purposes() -> None:
    policy = agreement_to_odrl(load_template("controlled-health"), "urn:test:p", target="urn:dv:1")

    assert policy["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    assert (policy["@type"], policy["uid"], policy["target"]) == ("Set", "urn:test:p", "urn:dv:1")
    derived = policy["permission"][0]
    assert derived["action"] == "use"
    assert derived["constraint"][0] == {
        "leftOperand": "purpose",
        "operator": "isA",
        "rightOperand": {"@id": "duo:0000006"},
    }
    assert {d["action"] for d in derived["duty"]} == {"attribute", "inform", "delete"}
    assert {p["action"] for p in policy["prohibition"]} == {"distribute"}


def test_export_marks_derived_rules_with_their_clause() -> None:
    policy = agreement_to_odrl(load_template("localised"), "urn:test:l")

    clauses = {rule.get("accord:clause") for rule in policy["prohibition"]}

    assert clauses == {"duo.modifiers[0]", "residency", "export.allowed"}


FOREIGN: dict[str, Any] = {
    "@context": "http://www.w3.org/ns/odrl.jsonld",
    "@type": "Offer",
    "uid": "http://example.com/policy:1",
    "permission": [
        {
            "target": "http://example.com/asset:1",
            "action": "odrl:use",
            "constraint": [
                {
                    "leftOperand": "http://www.w3.org/ns/odrl/2/purpose",
                    "operator": {"@id": "odrl:isA"},
                    "rightOperand": {"@id": "http://purl.obolibrary.org/obo/DUO_0000007"},
                },
                {"leftOperand": "spatial", "operator": "eq", "rightOperand": "DE"},
            ],
        }
    ],
    "prohibition": [{"action": "commercialize"}],
}


def test_a_foreign_policy_imports_as_rules() -> None:
    policy = policy_from_odrl(FOREIGN)

    assert isinstance(policy, OdrlPolicy)
    [permission] = policy.permissions
    assert permission.action == "use"
    assert permission.constraints[0].right_operand == ("DS",)
    assert policy.prohibitions[0].action == "commercialize"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"@type": "Licence"}, "@type"),
        ({"uid": ""}, "uid"),
        ({"conflict": "perm"}, "conflict"),
        ({"permission": [{"action": "fly"}]}, "permission[0].action"),
        ({"permission": [{"target": "x"}]}, "permission[0].action"),
        (
            {"permission": [{"action": "use", "constraint": [{"or": []}]}]},
            "permission[0].constraint[0]",
        ),
        (
            {
                "permission": [
                    {"action": "use", "constraint": [{"leftOperand": "spatial", "operator": "eq"}]}
                ]
            },
            "permission[0].constraint[0].rightOperand",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {"leftOperand": "spatial", "operator": "eq", "rightOperand": "XX"}
                        ],
                    }
                ]
            },
            "permission[0].constraint[0].rightOperand[0]",
        ),
        (
            {
                "permission": [
                    {
                        "action": "use",
                        "constraint": [
                            {
                                "leftOperand": "purpose",
                                "operator": "isA",
                                "rightOperand": {"@id": "duo:9999999"},
                            }
                        ],
                    }
                ]
            },
            "permission[0].constraint[0].rightOperand[0]",
        ),
    ],
)
def test_invalid_odrl_names_the_place_in_the_json_ld(change: dict[str, Any], where: str) -> None:
    with pytest.raises(AgreementInvalid) as caught:
        policy_from_odrl({**FOREIGN, **change})

    assert where in {p.location for p in caught.value.problems}


def test_a_policy_without_an_agreement_does_not_import_as_one() -> None:
    with pytest.raises(AgreementInvalid) as caught:
        agreement_from_odrl(FOREIGN)

    assert caught.value.problems[0].location == "accord:agreement"
    assert caught.value.code == errors.INVALID_ODRL

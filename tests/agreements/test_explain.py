"""Agreements and decisions in plain language."""

from __future__ import annotations

from accord.agreements.compiled import compile_agreement
from accord.agreements.engine import evaluate
from accord.agreements.explain import agreement_text, decision_text, explain_agreement
from accord.agreements.ontology import default_vocabulary
from accord.agreements.templates import load_template
from accord.agreements.validation import parse_agreement
from tests.agreements.builders import context, document_data


def test_controlled_health_reads_as_plain_language() -> None:
    text = agreement_text(load_template("controlled-health"), default_vocabulary())

    assert "Permitted use: HMB (health or medical or biomedical research)." in text
    assert "Ethics approval required (IRB)." in text
    assert "Data Access Committee decides every request within P30D." in text
    assert "Forbidden: pass the data on to others." in text
    assert "Report publications that use the data within 12 months of publishing." in text


def test_localised_data_explains_where() -> None:
    sections = explain_agreement(load_template("localised"), default_vocabulary())

    where = next(s for s in sections if s.heading == "Where")
    assert where.lines[0] == "The data may be stored and processed only in Brazil or Portugal."


def test_modifiers_with_parameters_are_spelled_out() -> None:
    document = parse_agreement(
        document_data(
            duo={
                "permission": "DS",
                "diseases": ["MONDO:0004992"],
                "modifiers": [{"code": "GS", "countries": ["EU"]}, {"code": "TS", "months": 6}],
            },
            odrl={
                "permissions": [
                    {
                        "action": "use",
                        "constraints": [
                            {
                                "left_operand": "spatial",
                                "operator": "isNoneOf",
                                "right_operand": ["KP"],
                            }
                        ],
                    }
                ]
            },
        )
    )

    text = agreement_text(document, default_vocabulary())

    assert "for research on cancer (and kinds of it)" in text
    assert "Use only in the European Union (GS)." in text
    assert "Use for at most 6 months (TS)." in text
    assert "Allowed: use the data, when the requester is not in North Korea." in text.replace(
        "Korea, Democratic People's Republic of", "North Korea"
    )


def test_a_denial_says_why_first() -> None:
    compiled = compile_agreement(load_template("controlled-health"))

    text = decision_text(evaluate(compiled, context(purpose=["POA"])))

    first, because = text.splitlines()[:2]
    assert first == "No."
    assert because.startswith("  because: ")
    assert "duo.purpose-outside-consent" in text or "accreditation.missing" in text


def test_a_referral_names_the_committee_and_the_obligations() -> None:
    compiled = compile_agreement(load_template("open-cc-by"))

    text = decision_text(evaluate(compiled, context(user=None)))

    assert text.splitlines()[0] == "Yes (download)."
    assert "you must: Cite the dataset." in text

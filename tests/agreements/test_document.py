"""The agreement document model and the JSON Schema the project publishes from it."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

import accord.agreements
from accord.agreements.document import AgreementDocument, json_schema
from accord.agreements.templates import NAMES, load_template, template_text

SCHEMA = Path(accord.agreements.__file__).parent / "schema" / "agreement.schema.json"


def test_published_schema_is_current() -> None:
    current = json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if not SCHEMA.exists() or SCHEMA.read_text(encoding="utf-8") != current:
        SCHEMA.write_text(current, encoding="utf-8")
        pytest.fail(f"{SCHEMA.name} was stale and has been rewritten: commit it")


def test_schema_ships_with_the_package() -> None:
    text = files("accord.agreements").joinpath("schema", "agreement.schema.json").read_text()

    schema = json.loads(text)

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"title", "tier", "licence", "duo"}
    assert {"odrl", "residency", "export", "duties", "committee"} <= schema["properties"].keys()


@pytest.mark.parametrize("name", NAMES)
def test_templates_are_valid_agreements(name: str) -> None:
    document = load_template(name)

    assert isinstance(document, AgreementDocument)
    assert template_text(name).startswith("#")


def test_the_five_templates_cover_the_common_cases() -> None:
    tiers = {name: load_template(name).tier.value for name in NAMES}

    assert tiers == {
        "open-cc-by": "open",
        "registered": "registered",
        "controlled-health": "controlled",
        "restricted-sandbox": "restricted",
        "localised": "controlled",
    }
    assert load_template("localised").residency is not None


def test_unknown_template() -> None:
    with pytest.raises(KeyError, match="templates:"):
        template_text("anything-goes")


def test_documents_are_immutable_and_hashable() -> None:
    document = load_template("registered")

    with pytest.raises(ValueError, match="frozen"):
        document.title = "changed"  # type: ignore[misc]
    assert hash(document) == hash(load_template("registered"))


def test_canonical_data_leaves_defaults_out_and_parses_back() -> None:
    document = load_template("controlled-health")

    data = document.as_data()

    assert data["format"] == 1
    assert "export" not in data
    assert AgreementDocument.model_validate(data) == document

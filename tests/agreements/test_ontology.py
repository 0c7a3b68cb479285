"""The shipped DUO release and MONDO subset, loaded with pronto, queried by subsumption."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from accord.agreements.duo import Duo
from accord.agreements.ontology import (
    default_vocabulary,
    load_diseases,
    load_duo,
    vocabulary_with_diseases,
)
from tests.agreements.builders import ALZHEIMER, BREAST_CANCER, CANCER

DATA = files("accord.agreements").joinpath("data")


def test_duo_release_loads_without_network() -> None:
    duo = default_vocabulary().duo

    assert duo.version == "2021-02-23"
    assert duo.resolve("HMB") == Duo.HMB
    assert duo.label(Duo.NCU) == "non-commercial use only"


def test_duo_codes_resolve_in_every_written_form() -> None:
    duo = default_vocabulary().duo
    forms = ["hmb", "DUO:0000006", "http://purl.obolibrary.org/obo/DUO_0000006", "obo:DUO_0000006"]

    assert {duo.resolve(form) for form in forms} == {Duo.HMB}
    assert duo.resolve("DUO:9999999") is None
    assert duo.resolve("MONDO:0004992") is None


def test_every_shorthand_of_the_release_csv_resolves_to_its_id() -> None:
    duo = default_vocabulary().duo
    rows = DATA.joinpath("duo", "duo.csv").read_text(encoding="utf-8").splitlines()[1:]
    pairs = [row.split(",")[:2] for row in rows]

    assert all(duo.resolve(short) == curie for curie, short in pairs if short)


def test_duo_families() -> None:
    duo = default_vocabulary().duo

    assert {t for t in (Duo.NRES, Duo.GRU, Duo.HMB, Duo.DS, Duo.POA) if duo.is_permission(t)} == {
        Duo.NRES,
        Duo.GRU,
        Duo.HMB,
        Duo.DS,
        Duo.POA,
    }
    assert duo.is_modifier(Duo.NPU) and duo.is_modifier(Duo.NCU)
    assert not duo.is_modifier(Duo.HMB)
    assert duo.is_research_type(Duo.GENETIC_RESEARCH)
    assert not duo.is_research_type(Duo.HMB)


def test_duo_hierarchy() -> None:
    duo = default_vocabulary().duo

    assert duo.is_a(Duo.DS, Duo.HMB)
    assert duo.is_a(Duo.HMB, Duo.GRU)
    assert not duo.is_a(Duo.POA, Duo.GRU)
    assert duo.is_a(Duo.NCU, Duo.NPUNCU)
    assert duo.descendants(Duo.GRU) == {Duo.GRU, Duo.HMB, Duo.DS}


def test_disease_subsumption() -> None:
    diseases = default_vocabulary().diseases

    assert len(diseases) == 396
    assert diseases.is_a(BREAST_CANCER, CANCER)
    assert not diseases.is_a(ALZHEIMER, CANCER)
    assert BREAST_CANCER in diseases.descendants(CANCER)


def test_overlap_is_sharing_a_descendant() -> None:
    diseases = default_vocabulary().diseases
    respiratory = "MONDO:0005087"

    assert respiratory in diseases.overlapping(CANCER)
    assert ALZHEIMER not in diseases.overlapping(CANCER)


def test_a_disease_file_can_be_given(tmp_path: Path) -> None:
    copy = tmp_path / "mondo.obo"
    copy.write_bytes(DATA.joinpath("mondo", "mondo-subset.obo").read_bytes())

    vocab = vocabulary_with_diseases(copy)

    assert vocab.diseases.is_a(BREAST_CANCER, CANCER)
    assert vocab.duo is default_vocabulary().duo


def test_an_owl_disease_file_with_undeclared_parents_loads(tmp_path: Path) -> None:
    owl = tmp_path / "mini.owl"
    owl.write_text(
        """<?xml version="1.0"?>
<rdf:RDF xmlns:owl="http://www.w3.org/2002/07/owl#"
         xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <owl:Ontology rdf:about="http://purl.obolibrary.org/obo/mini.owl"/>
  <owl:Class rdf:about="http://purl.obolibrary.org/obo/MONDO_0000002">
    <rdfs:subClassOf rdf:resource="http://purl.obolibrary.org/obo/MONDO_0000001"/>
    <rdfs:label>child disease</rdfs:label>
  </owl:Class>
</rdf:RDF>
""",
        encoding="utf-8",
    )

    diseases = load_diseases(owl)

    assert diseases.is_a("MONDO:0000002", "MONDO:0000001")


def test_a_duo_file_can_be_given(tmp_path: Path) -> None:
    copy = tmp_path / "duo.owl"
    copy.write_bytes(DATA.joinpath("duo", "duo.owl").read_bytes())

    assert load_duo(copy).resolve("NPOA") == Duo.NPOA


def test_licences_ship_beside_the_data() -> None:
    assert "creativecommons.org/licenses/by/4.0" in DATA.joinpath("duo", "LICENSE.md").read_text()
    assert "Attribution 4.0" in DATA.joinpath("mondo", "LICENSE").read_text()

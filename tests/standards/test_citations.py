"""Citations: the CSL processor's output in APA, Chicago and Vancouver; BibTeX, RIS, CSL-JSON."""

from __future__ import annotations

import pytest

from accord.standards import bibtex, ris
from accord.standards.citations import Style, format_all, format_citation
from accord.standards.csl import csl_item
from tests.standards.builders import metadata, record

DOI = "10.5281/zenodo.1234567"
TWO_AUTHORS = [
    {"name": "Kamau, Wanjiru", "given_name": "Wanjiru", "family_name": "Kamau"},
    {"name": "Pereira, João", "given_name": "João", "family_name": "Pereira"},
]


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (
            Style.APA,
            "Kamau, W., & Pereira, J. (2026). Household malaria survey, Kisumu 2021 (Version 1) "
            f"[Dataset]. Nairobi Centre for Genomic Medicine. https://doi.org/{DOI}",
        ),
        (
            Style.CHICAGO,
            "Kamau, Wanjiru, and João Pereira. 2026. “Household Malaria Survey, Kisumu 2021”. "
            f"Version 1. Nairobi Centre for Genomic Medicine. https://doi.org/{DOI}.",
        ),
        (
            Style.VANCOUVER,
            "Kamau W, Pereira J. Household malaria survey, Kisumu 2021 [Internet]. Nairobi Centre "
            "for Genomic Medicine; 2026. Available from: https://node.example.org/datasets/"
            f"ds_01JQ0000000000000000000001/versions/1 doi:{DOI}",
        ),
    ],
)
def test_each_style(style: Style, expected: str) -> None:
    cited = format_citation(record(metadata(doi=DOI, creators=TWO_AUTHORS)), style)
    assert cited.text == expected


def test_html_is_escaped_and_marked_up() -> None:
    meta = metadata(titles=[{"title": "Bed nets & <malaria>"}])
    apa = format_citation(record(meta), Style.APA)
    assert "<i>Bed nets &amp; &lt;malaria&gt;</i>" in apa.html
    assert "Bed nets & <malaria>" in apa.text


def test_every_style_is_offered() -> None:
    assert [c.style for c in format_all(record())] == list(Style)


def test_csl_json_item() -> None:
    item = csl_item(
        record(
            metadata(
                doi=DOI, creators=[*TWO_AUTHORS, {"name": "WHO", "name_type": "Organizational"}]
            )
        )
    )
    assert item["type"] == "dataset"
    assert item["author"] == [
        {"family": "Kamau", "given": "Wanjiru"},
        {"family": "Pereira", "given": "João"},
        {"literal": "WHO"},
    ]
    assert item["issued"] == {"date-parts": [[2026]]}
    assert item["DOI"] == DOI
    assert item["version"] == "1"


def test_bibtex_escapes_tex_and_keys_are_ascii() -> None:
    meta = metadata(
        titles=[{"title": "Prevalência 100% & $cost_{x}"}],
        creators=[{"name": "Müller, Jörg", "given_name": "Jörg", "family_name": "Müller"}],
    )
    entry = bibtex.to_bibtex(record(meta))
    assert entry.startswith("@misc{muller2026prevalenciav1,\n")
    assert r"title = {{Prevalência 100\% \& \$cost\_\{x\}}}" in entry
    assert "author = {Müller, Jörg}" in entry
    assert "version = {1}" in entry
    assert entry.count("{") == entry.count("}") + entry.count(r"\{") - entry.count(r"\}")


def test_ris_lines() -> None:
    lines = ris.to_ris(record(metadata(doi=DOI))).split("\r\n")
    assert lines[0] == "TY  - DATA"
    assert "AU  - Kamau, Wanjiru" in lines
    assert "DO  - 10.5281/zenodo.1234567" in lines
    assert "ET  - 1" in lines
    assert lines[-2:] == ["ER  - ", ""]
    assert all(len(line) == 0 or line[2:6] == "  - " for line in lines)

"""Every translatable string of the node is translated in every shipped language."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo

from accord.i18n import catalogues
from accord.i18n.locales import LANGUAGES, SOURCE

TRANSLATED = [language.code for language in LANGUAGES if language.code != SOURCE]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogues.extract()


def test_extraction_finds_templates_and_python(template: Catalog) -> None:
    ids = {message.id for message in template}
    assert "Request access" in ids  # a template string
    assert "Not found" in ids  # a problem title marked in Python
    assert len(ids) > 400


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_catalogue_misses_a_string(code: str, template: Catalog) -> None:
    missing = catalogues.missing(code, template)
    assert not missing, (
        f"{len(missing)} strings untranslated in {code} (run `python -m accord.i18n.catalogues`"
        f" and translate them): {missing[:20]}"
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_their_placeholders(code: str) -> None:
    for message in catalogues.read(code):
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id)), (
            f"{code}: {message.id!r} → {message.string!r}"
        )


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalogue_matches_its_source(code: str) -> None:
    source = catalogues.read(code)
    with catalogues.po_path(code).with_suffix(".mo").open("rb") as file:
        compiled = read_mo(file)
    expected = {_key(m.id): _key(m.string) for m in source if m.id and m.string and not m.fuzzy}
    found = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert found == expected, "the .mo file is stale: run `python -m accord.i18n.catalogues`"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value

"""Data values (tiers, states, modes, roles) read as words in the reader's language on pages,
while the API keeps the machine values."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from accord.i18n.translate import gettext, use_locale
from accord.labels import label
from tests.catalog.conftest import Catalog, catalog, organisation, steward  # noqa: F401

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(
    ("kind", "value", "code", "expected"),
    [
        ("tier", "controlled", "fr", "contrôlé"),
        ("tier", "open", "es", "abierto"),
        ("appeal-state", "open", "fr", "en cours"),  # the same value, another kind, another word
        ("request-state", "awaiting-clarification", "pt", "aguardando esclarecimentos"),
        ("role", "output-checker", "ar", "مدقق المخرجات"),
        ("job-state", "checked", "en", "awaiting output check"),
    ],
)
def test_a_value_reads_in_the_readers_language(
    kind: str, value: str, code: str, expected: str
) -> None:
    with use_locale(code):
        assert gettext(label(kind, value)) == expected


def test_a_value_without_a_label_is_shown_as_it_is() -> None:
    assert label("tier", "experimental") == "experimental"
    assert label("no-such-kind", "x") == "x"
    assert label("breach-outcome", None) == ""


def test_pages_show_labels_and_the_api_keeps_codes(
    client: TestClient,
    catalog: Catalog,  # noqa: F811
) -> None:
    version = catalog.published(tier="controlled")
    url = f"/datasets/{version['dataset_id']}/versions/1"
    french = client.get(url, headers={**HTML, "Accept-Language": "fr"}).text
    assert '<dd id="tier">contrôlé</dd>' in french
    assert "(publiée," in french
    arabic = client.get(url, headers={**HTML, "Accept-Language": "ar"}).text
    assert '<dd id="tier">مضبوط</dd>' in arabic
    api = client.get(f"/api/v1/datasets/{version['dataset_id']}", headers={"Accept-Language": "fr"})
    assert '"controlled"' in api.text

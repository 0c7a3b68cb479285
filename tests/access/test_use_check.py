""" "Can I use this?" on the dataset page: the engine's answer for the signed-in user and a
stated purpose, as a page of its own without JavaScript and as a fragment for htmx; bad input
is named beside its field; the question changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.access.conftest import World, agreement, event_types
from tests.access.test_pages import Browser

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HTML = {"accept": "text/html"}
HTMX = {"accept": "text/html", "HX-Request": "true"}


@pytest.fixture
def researcher(app: FastAPI, world: World) -> Iterator[Browser]:
    browser = Browser(app, world.researcher)
    yield browser
    browser.client.close()


def check_url(world: World) -> str:
    return f"/datasets/{world.dataset_id}/versions/1/use-check"


def outcome(html: str) -> str:
    found = re.search(r'id="use-check-outcome" data-outcome="(\w+)"', html)
    assert found, html
    return found.group(1)


def test_the_dataset_page_offers_the_check_beside_its_agreement(
    world: World, researcher: Browser
) -> None:
    ref = world.govern(agreement())

    page = researcher.get(f"/datasets/{world.dataset_id}/versions/1")

    assert f"<code>{ref}</code>" in page
    agreement_id = ref.split("@")[0]
    assert f'href="/agreements/{agreement_id}/versions/1" id="agreement-link"' in page
    assert f'action="{check_url(world)}"' in page and f'hx-get="{check_url(world)}"' in page
    assert 'id="use-country" name="country" value="KE"' in page, "the user's country"


def test_visitors_are_asked_to_sign_in_and_ungoverned_versions_show_nothing(
    world: World,
) -> None:
    bare = world.client.get(f"/datasets/{world.dataset_id}/versions/1", headers=HTML).text
    assert 'id="agreement-heading"' not in bare
    world.govern(agreement())

    page = world.client.get(f"/datasets/{world.dataset_id}/versions/1", headers=HTML).text

    assert 'id="use-check-sign-in"' in page and 'id="use-check-form"' not in page
    answer = world.client.get(check_url(world), headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


def test_without_javascript_the_answer_is_a_page(world: World, researcher: Browser) -> None:
    world.govern(agreement())

    page = researcher.get(f"{check_url(world)}?purpose=HMB")
    refused = researcher.get(f"{check_url(world)}?purpose=POA")

    assert "<html" in page and outcome(page) == "permit"
    assert 'id="use-check-request"' in page, "a link to the request form"
    assert 'value="HMB" checked' in page, "the form keeps what was asked"
    assert outcome(refused) == "deny"
    assert "duo.permission" in refused, "the reason names its clause"


def test_htmx_gets_only_the_answer(world: World, researcher: Browser) -> None:
    world.govern(agreement())

    fragment = researcher.client.get(
        f"{check_url(world)}?purpose=DS&diseases=MONDO:0005136", headers=HTMX
    )

    assert fragment.status_code == 200
    assert "<html" not in fragment.text and outcome(fragment.text) == "permit"


def test_the_stated_country_replaces_the_users(world: World, researcher: Browser) -> None:
    world.govern(agreement(export={"forbidden": ["US"]}))

    home = researcher.get(f"{check_url(world)}?purpose=HMB")
    abroad = researcher.get(f"{check_url(world)}?purpose=HMB&country=us")

    assert outcome(home) == outcome(abroad) == "permit"
    assert "(download)" in home and "(in the sandbox at this node)" in abroad
    assert "using the data in US" in abroad


def test_commercial_use_is_refused_where_the_agreement_forbids_it(
    world: World, researcher: Browser
) -> None:
    world.govern(agreement(duo={"permission": "HMB", "modifiers": ["NCU"]}))

    answer = researcher.get(f"{check_url(world)}?purpose=HMB&commercial=on")

    assert outcome(answer) == "deny" and "NCU" in answer


def test_bad_input_is_named_beside_its_field(world: World, researcher: Browser) -> None:
    world.govern(agreement())

    unknown = researcher.client.get(f"{check_url(world)}?other_purpose=XYZ", headers=HTML)
    no_purpose = researcher.client.get(check_url(world), headers=HTML)
    country = researcher.client.get(f"{check_url(world)}?purpose=HMB&country=ZZ", headers=HTML)
    fragment = researcher.client.get(f"{check_url(world)}?other_purpose=XYZ", headers=HTMX)

    assert unknown.status_code == 422 and "XYZ" in unknown.text
    assert 'aria-describedby="use-check-purpose-error"' in unknown.text
    assert no_purpose.status_code == 422
    assert 'id="use-check-purpose-error"' in no_purpose.text
    assert country.status_code == 422
    assert 'aria-invalid="true" aria-describedby="use-check-country-error"' in country.text
    assert fragment.status_code == 200 and 'role="alert" id="use-check-errors"' in fragment.text


def test_only_governed_published_versions_are_checked(world: World, researcher: Browser) -> None:
    missing = researcher.client.get(f"{check_url(world)}?purpose=HMB", headers=HTML)
    nowhere = researcher.client.get(
        "/datasets/ds_01JD3AAAAAAAAAAAAAAAAAAAAA/versions/1/use-check?purpose=HMB", headers=HTML
    )

    assert missing.status_code == 404 and "agreements.none-attached" in missing.text
    assert nowhere.status_code == 404


def test_asking_changes_nothing(world: World, researcher: Browser) -> None:
    world.govern(agreement())
    before = event_types(world.node, prefix="")

    researcher.get(f"{check_url(world)}?purpose=HMB")

    assert event_types(world.node, prefix="") == before

"""A person signs in through a real OpenID Provider's own pages (node's oidc-provider) and lands
on their new account with the roles their entitlements map to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.identity.oidc.real import RealProvider, start_provider
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser

SECRET = "a-client-secret-for-the-browser-test"
COMMITTEE = "urn:geant:example.org:accord:committee"


@pytest.fixture
def node_and_provider(tmp_path: Path) -> Iterator[tuple[LiveNode, RealProvider]]:
    live = make_live_node(tmp_path / "live")
    provider = start_provider(
        tmp_path,
        clients=[
            {
                "client_id": "accord-browser",
                "client_secret": SECRET,
                "redirect_uris": [f"{live.url}/sign-in/oidc/inst/callback"],
            }
        ],
        accounts={
            "amara": {
                "email": "amara@uni.example",
                "email_verified": True,
                "name": "Amara Okafor",
                "country": "NG",
                "eduperson_entitlement": [COMMITTEE],
            }
        },
    )
    settings = [
        {
            "id": "inst",
            "name": "Example University",
            "issuer": provider.url,
            "client_id": "accord-browser",
            "client_secret_env": "ACCORD_TEST_IDP_SECRET",
            "scopes": ["openid", "email", "profile", "research"],
            "claims": {"country": "country", "entitlements": "eduperson_entitlement"},
            "roles": {COMMITTEE: "committee"},
        }
    ]
    live.env["ACCORD_OIDC_PROVIDERS"] = json.dumps(settings)
    live.env["ACCORD_TEST_IDP_SECRET"] = SECRET
    live.init()
    live.start()
    yield live, provider
    live.stop()
    provider.stop()


def test_sign_in_through_the_providers_pages(
    page: Page, node_and_provider: tuple[LiveNode, RealProvider]
) -> None:
    live, _ = node_and_provider
    page.goto(f"{live.url}/sign-in")
    page.get_by_role("button", name="Sign in with Example University").click()
    page.locator("input[name=login]").fill("amara")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("amara@uni.example").first).to_be_visible()
    expect(page.locator("#roles")).to_contain_text("committee")
    expect(page.locator("#roles")).to_contain_text("researcher")
    page.get_by_role(
        "link", name="Sign-in settings: two-step sign-in and identity providers"
    ).click()
    expect(page.locator("#links")).to_contain_text("inst")

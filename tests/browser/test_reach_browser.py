"""Reach (issue 14): every page of a demo node passes axe-core at WCAG 2.2 A and AA in English and
Arabic, works without JavaScript, weighs under 100 KB compressed; a researcher walks from search
to an access request and signs out with the keyboard alone; the dataset page is photographed in
every language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accord.demo import DEMO_PASSWORD
from accord.i18n.locales import LANGUAGES
from tests.browser.conftest import ARTIFACTS
from tests.browser.reach import Crawled, Crawler, compressed_weight, signed_in_client
from tests.live import LiveNode, make_live_node

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BUDGET = 100 * 1024
PEOPLE = ["admin", "researcher", "steward", "committee", "reviewer", "checker"]


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    live = make_live_node(tmp_path_factory.mktemp("reach") / "node")
    live.init("--demo")
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def clients(demo_node: LiveNode) -> Iterator[dict[str, httpx.Client]]:
    made = {
        "anonymous": httpx.Client(
            base_url=demo_node.url, timeout=60, headers={"Accept": "text/html"}
        )
    }
    for who in PEOPLE:
        email = demo_node.admin_email if who == "admin" else f"{who}@demo.accord.example"
        password = demo_node.admin_password if who == "admin" else DEMO_PASSWORD
        made[who] = signed_in_client(demo_node.url, email, password)
    yield made
    for client in made.values():
        client.close()


@pytest.fixture(scope="module")
def pages(demo_node: LiveNode, clients: dict[str, httpx.Client]) -> list[Crawled]:
    """One page of each kind the demo node serves, found by following links as each person."""
    crawler = Crawler(demo_node.url)
    seeds = ["/", "/datasets", "/sign-in", "/log", "/access", "/sandbox", "/sandbox/review"]
    seeds += ["/derivations", "/derivations/new", "/reports", "/governance", "/agreements"]
    seeds += ["/federation/peers", "/federation/witness", "/federation/requests"]
    for who, client in clients.items():
        crawler.crawl(client, who, [*seeds, "/account", "/access/requests/new"])
    assert len(crawler.pages) >= 20, [p.url for p in crawler.pages]
    return crawler.pages


def _context(
    browser: Browser, clients: dict[str, httpx.Client], who: str, **options: Any
) -> BrowserContext:
    """A browser context signed in as ``who`` (the crawler's session cookie)."""
    context = browser.new_context(**options)
    cookies = [
        {"name": c.name, "value": c.value or "", "url": str(clients[who].base_url)}
        for c in clients[who].cookies.jar
    ]
    if cookies:
        context.add_cookies(cookies)  # type: ignore[arg-type]
    return context


def test_every_page_passes_axe_in_english_and_arabic(
    browser: Browser, demo_node: LiveNode, clients: dict[str, httpx.Client], pages: list[Crawled]
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/test.sh installs it from npm)")
    failures: list[str] = []
    for who in {page.who for page in pages}:
        context = _context(browser, clients, who, bypass_csp=True)
        tab = context.new_page()
        for crawled in (p for p in pages if p.who == who):
            for lang in ("en", "ar"):
                sep = "&" if "?" in crawled.url else "?"
                tab.goto(f"{demo_node.url}{crawled.url}{sep}lang={lang}")
                expect(tab.locator("html")).to_have_attribute("lang", lang)
                tab.add_script_tag(path=str(AXE))
                result = tab.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                    " resultTypes: ['violations']})",
                    WCAG_22_AA,
                )
                for violation in result["violations"]:
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    failures.append(f"{lang} {crawled.url} ({who}): {violation['id']} {targets}")
        context.close()
    assert not failures, "\n".join(failures)


def test_every_page_is_under_the_weight_budget(
    clients: dict[str, httpx.Client], pages: list[Crawled]
) -> None:
    over = []
    for crawled in pages:
        total, sizes = compressed_weight(clients[crawled.who], crawled.html)
        if total > BUDGET:
            over.append(f"{crawled.url}: {total} bytes compressed {sizes}")
    assert not over, "\n".join(over)


def test_static_assets_are_cached(demo_node: LiveNode, clients: dict[str, httpx.Client]) -> None:
    home = clients["anonymous"].get("/").text
    css = re.search(r'href="(/static/accord\.css\?v=[0-9a-f]+)"', home)
    assert css, "the stylesheet is not linked with its digest"
    versioned = clients["anonymous"].get(css.group(1))
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = clients["anonymous"].get("/static/accord.css")
    assert plain.headers["cache-control"] == "public, max-age=3600"
    again = clients["anonymous"].get(
        "/static/accord.css", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304


def test_every_page_works_without_javascript_and_forms_complete(
    browser: Browser, demo_node: LiveNode, clients: dict[str, httpx.Client], pages: list[Crawled]
) -> None:
    for who in sorted({page.who for page in pages}):
        context = _context(browser, clients, who, java_script_enabled=False)
        tab = context.new_page()
        for crawled in (p for p in pages if p.who == who):
            answer = tab.goto(f"{demo_node.url}{crawled.url}")
            assert answer is not None and answer.status == 200, crawled.url
            expect(tab.locator("main h1").first).to_be_visible()
        context.close()

    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{demo_node.url}/sign-in")
    tab.get_by_label("Email").fill("researcher@demo.accord.example")
    tab.get_by_label("Password").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.goto(f"{demo_node.url}/datasets")
    tab.get_by_label("Search titles, descriptions, subjects, keywords and creators").fill("covid")
    tab.get_by_role("button", name="Search").click()
    tab.locator("article.result h3 a").first.click()
    tab.locator("#request-access").click()
    _fill_request(tab)
    tab.get_by_role("button", name="Submit the request").click()
    expect(tab).to_have_url(re.compile(r"/access/requests/req_"))
    expect(tab.get_by_role("heading", name="Long covid in East Africa")).to_be_visible()
    tab.get_by_role("button", name="Sign out").click()
    expect(tab.get_by_role("link", name="Sign in")).to_be_visible()
    context.close()


def test_keyboard_only_search_dataset_request_sign_out(page: Page, demo_node: LiveNode) -> None:
    page.goto(f"{demo_node.url}/sign-in?next=/datasets")
    _tab_to(page, "#email, input[name=email]")
    page.keyboard.type("researcher-ke@demo.accord.example")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Catalogue")).to_be_visible()
    _tab_to(page, "input[name=q]")
    page.keyboard.type("long covid")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=long"))
    page.wait_for_load_state()
    _tab_to(page, "article.result h3 a")
    page.keyboard.press("Enter")
    expect(page.locator("#tier")).to_have_text("controlled")
    _tab_to(page, "#request-access")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Request access", exact=True)).to_be_visible()
    for field, text in (
        ("#project_title", "Long covid in East Africa"),
        ("#lay_summary", "We compare how long covid affects people in two countries."),
        ("#institution", "University of Nairobi"),
    ):
        _tab_to(page, field)
        page.keyboard.type(text)
    _tab_to(page, "#purpose-DUO\\:0000006, input[name=purpose]")
    page.keyboard.press("Space")
    _tab_to(page, "#accept_duties")
    page.keyboard.press("Space")
    _tab_to(page, "#submit-request")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/access/requests/req_"))
    expect(page.get_by_role("heading", name="Long covid in East Africa")).to_be_visible()
    _tab_to(page, "header button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_dataset_page_in_every_language(browser: Browser, demo_node: LiveNode) -> None:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{demo_node.url}/datasets?q=malaria")
    href = tab.locator("article.result h3 a").first.get_attribute("href")
    ARTIFACTS.mkdir(exist_ok=True)
    for language in LANGUAGES:
        tab.goto(f"{demo_node.url}{href}?lang={language.code}")
        html = tab.locator("html")
        expect(html).to_have_attribute("lang", language.code)
        expect(html).to_have_attribute("dir", "rtl" if language.rtl else "ltr")
        tab.screenshot(path=str(ARTIFACTS / f"dataset-{language.code}.png"), full_page=True)
    tab.goto(f"{demo_node.url}/datasets")  # the choice is remembered
    expect(tab.locator("html")).to_have_attribute("lang", LANGUAGES[-1].code)
    context.close()


def _fill_request(tab: Page) -> None:
    tab.locator("input[name=purpose]").first.check()
    tab.locator("#project_title").fill("Long covid in East Africa")
    tab.locator("#lay_summary").fill("We compare how long covid affects people in two countries.")
    tab.locator("#institution").fill("University of Nairobi")
    tab.locator("#accept_duties").check()


def _tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until the focused element matches ``selector`` (fails if it never does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")

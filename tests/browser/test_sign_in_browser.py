"""A person signs in, sees their account, signs out; a wrong password shows an error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.live import LiveNode

pytestmark = pytest.mark.browser


def test_sign_in_account_sign_out(page: Page, live_node: LiveNode) -> None:
    page.goto(f"{live_node.url}/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(live_node.admin_email)
    page.get_by_label("Password").fill(live_node.admin_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("#roles")).to_contain_text("admin")
    expect(page.get_by_text(live_node.admin_email).first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{live_node.url}/account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_shows_error_and_no_session(page: Page, live_node: LiveNode) -> None:
    page.goto(f"{live_node.url}/sign-in")
    page.get_by_label("Email").fill(live_node.admin_email)
    page.get_by_label("Password").fill("certainly not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "accord_session" not in cookies
    page.goto(f"{live_node.url}/account")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_admin_adds_a_user_with_the_keyboard(page: Page, live_node: LiveNode) -> None:
    page.goto(f"{live_node.url}/sign-in?next=/admin/users")
    page.get_by_label("Email").fill(live_node.admin_email)
    page.get_by_label("Password").fill(live_node.admin_password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_label("Name").fill("Grace Mensah")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Country").fill("GH")
    page.get_by_label("Role").select_option("steward")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_contain_text("grace@example.org")
    expect(page.locator("#new-password")).not_to_be_empty()

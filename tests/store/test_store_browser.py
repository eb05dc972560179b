"""A person in a real browser finds a GPT by type-ahead, chats with it, then rates and reviews it."""

import pytest
from playwright.sync_api import expect

from tests.store.conftest import make_gpt

pytestmark = pytest.mark.browser


def test_search_open_chat_rate_and_review(page, upstream, database):
    gpt_id = make_gpt(database, name="Walrus Helper", starters=["Tell me about walruses"])
    make_gpt(database, name="Penguin Pal")
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()

    search = page.get_by_role("combobox", name="Search the store")
    search.fill("walr")
    expect(page.get_by_role("option", name="Walrus Helper")).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    page.wait_for_url(f"**/g/{gpt_id}")
    expect(page.get_by_role("heading", name="Walrus Helper", level=1)).to_be_visible()
    expect(page.get_by_text("Chat with this GPT to rate it.")).to_be_visible()

    page.get_by_role("button", name="Tell me about walruses").click()
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")

    page.goto(f"/g/{gpt_id}")
    page.get_by_label("4 stars").check()
    page.get_by_label("Your review (optional)").fill("Knows every walrus by name.")
    page.get_by_role("button", name="Post review").click()
    review = page.locator(".review").first
    expect(review).to_contain_text("Knows every walrus by name.")
    expect(review).to_contain_text("Ada")
    expect(page.locator(".gpt-head .rating")).to_contain_text("4.0")

    page.get_by_role("combobox", name="Search the store").fill("walrus helper")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".card-name").first).to_have_text("Walrus Helper")

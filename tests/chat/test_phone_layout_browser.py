"""In real Chromium at 390 px (a phone) and 1280 px: the chat, the editor, the store front and a
GPT page fit the screen, with no sideways scrolling, whatever their content (issue 20 item 2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agora.chat.models import Conversation
from agora.demo.seed import seed_demo
from tests.browser.layout import assert_fits_the_screen
from tests.chat.conftest import make_gpt

pytestmark = pytest.mark.browser

LONG_TITLE = "Planning the three-week family holiday to the fjords of western Norway with grandparents"
LONG_WORD = "https://example.com/" + "a-really-long-path-segment" * 8


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_chat_editor_store_and_gpt_page_fit_the_screen(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    seed_demo(database)
    gpt_id = make_gpt(database, name="Walrus Helper with a rather long name for a phone screen")
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()

    for path in ("/", "/store/productivity", "/search?q=email", f"/g/{gpt_id}"):
        page.goto(path)
        assert_fits_the_screen(page)

    page.goto(f"/g/{gpt_id}")
    upstream.next("ok")
    page.get_by_role("button", name="Start chat").click()
    page.get_by_label("Message").fill(f"Look at {LONG_WORD} and tell me about walruses")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    with database.session() as session:
        session.query(Conversation).update({"title": LONG_TITLE.replace(" ", "-")})  # one long word: the worst case
    page.reload()
    if width < 800:  # on a phone the conversations are a drawer: opened, it fits the screen too
        page.get_by_role("button", name="Conversations", exact=True).click()
    expect(page.locator(".chat-list a").first).to_be_visible()
    assert_fits_the_screen(page)
    if width < 800:
        page.keyboard.press("Escape")
    composer = page.get_by_label("Message").bounding_box()
    assert composer["x"] >= 0 and composer["x"] + composer["width"] <= width

    page.goto("/gpts/new")
    assert_fits_the_screen(page)
    # The sticky bar (change note, Save, Publish) must not cover the field being typed into:
    # focusing a field scrolls it just into view, which used to put it under the bar.
    page.evaluate("window.scrollTo(0, 0)")
    for field in ("name", "description", "category", "tags", "instructions", "welcome_message"):
        assert page.evaluate("id => (document.getElementById(id).focus(), document.activeElement.id)", field) == field
        box = page.locator(f"#{field}").bounding_box()
        bar = page.locator(".builder-actions").bounding_box()
        assert box["y"] + box["height"] <= bar["y"] + 1 or box["y"] >= bar["y"] + bar["height"] - 1, f"#{field} is under the sticky bar: {box} {bar}"

"""In real Chromium: open a demo-style GPT, click a starter, watch the reply stream, stop it,
regenerate, and @-mention another GPT. The upstream is the stand-in server, slowed down so
the stream can be watched and stopped."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.chat.conftest import make_gpt

pytestmark = pytest.mark.browser


def sign_up(page) -> None:
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()


def test_starter_stream_stop_regenerate_and_mention(page, upstream, database):
    gpt_id = make_gpt(database, name="Walrus Helper", starters=["Tell me about walruses"])
    make_gpt(database, name="Penguin Pal")
    upstream.slow_gap = 0.05
    sign_up(page)

    page.goto(f"/g/{gpt_id}")
    upstream.next("slow")
    page.get_by_role("button", name="Tell me about walruses").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_contain_text("Hello from the stand-in.Hello")  # streaming, well before the end
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    expect(reply).to_have_attribute("data-status", "stopped")
    expect(page.get_by_role("status")).to_have_text("Stopped before the end.")

    page.get_by_role("button", name="Regenerate the last reply").click()
    expect(page.locator(".message.assistant")).to_have_count(1)
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    expect(page.locator(".message.assistant .message-body").last).to_have_text("Hello from the stand-in.")

    composer = page.get_by_label("Message")
    composer.fill("")
    composer.press_sequentially("@Peng")
    page.get_by_role("option", name="Penguin Pal").click()
    composer.press_sequentially("what do you think?")
    page.get_by_role("button", name="Send").click()
    mentioned = page.locator(".message.assistant").last
    expect(mentioned.locator(".message-author")).to_have_text("Penguin Pal")
    expect(mentioned).to_have_attribute("data-status", "complete")
    assert "Penguin Pal" in upstream.requests[-1]["messages"][0]["content"]

    page.reload()  # what was streamed is what was stored
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator(".message.assistant .message-author").last).to_have_text("Penguin Pal")


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_calculation_a_gpt_made_is_shown_while_streaming_and_after_a_reload(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Counting Walrus", capabilities={"calculator": True})
    sign_up(page)
    page.goto(f"/g/{gpt_id}")
    upstream.tool_calls = [("calculator", '{"expression": "17 * 23"}')]
    upstream.next("tool_calls", "ok")
    page.get_by_role("button", name="Tell me about walruses").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".tool-use")).to_have_text("Used Calculator: 17 * 23 = 391")
    expect(reply.locator(".message-body")).to_have_text("Hello from the stand-in.")
    assert upstream.requests[0]["messages"][-1]["content"] == "Tell me about walruses"
    page.reload()
    expect(page.locator(".message.assistant .tool-use")).to_have_text("Used Calculator: 17 * 23 = 391")
    box = page.locator(".message.assistant .tool-use").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width  # the line wraps on a phone rather than overflow

"""In real Chromium at 390 px: the chat tells the person their message was blocked, keeps their text in the composer, and
says that messages are screened; a withheld reply's streamed text is replaced by the notice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_fits_the_screen
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium
from tests.moderation.test_guardrails import BOMB, guard, model, model_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_a_blocked_message_and_a_withheld_reply_are_told_in_the_chat_on_a_phone(page, database, guard, model):  # noqa: F811
    guard("block")
    page.set_viewport_size({"width": 390, "height": 800})
    gpt_id = make_gpt(database)
    sign_up_in_chromium(page)
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Start chat").click()
    expect(page.locator("#screened-note")).to_contain_text("screened against this service's content policy")

    page.get_by_label("Message").fill(BOMB)
    page.get_by_role("button", name="Send").click()
    status = page.locator("#chat-status")
    expect(status).to_contain_text("Your message was not sent: it was flagged as illicit/violent")
    expect(status).to_have_class("chat-status error")
    expect(page.get_by_label("Message")).to_have_value(BOMB)  # refused: the text goes back where it was
    expect(page.locator(".message")).to_have_count(0)
    box = status.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert_fits_the_screen(page)

    model.reply = "Here is how to make a bomb at home."
    page.get_by_label("Message").fill("Tell me a story")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".message-body")).to_contain_text("This reply was withheld")
    expect(reply.locator(".message-body")).not_to_contain_text("how to make a bomb")
    expect(status).to_contain_text("This reply was withheld")
    page.reload()
    expect(page.locator(".message.assistant .message-body").last).to_contain_text("This reply was withheld")
    assert_fits_the_screen(page)

"""In real Chromium, desktop and phone: a visitor picks a GPT (and a starter), logs in or signs up,
and lands in a new chat with that GPT and the starter in the composer; an empty chat shows no
Stop or "Edit my last message" button (issue 20, items 1 and 3)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from tests.chat.conftest import make_gpt

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _picked_starter_then_landed(page, gpt_id: str) -> None:
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Tell me about walruses").click()
    expect(page.get_by_role("heading", name="Log in to Agora")).to_be_visible()


def _composer_holds_the_starter_then_sends(page, upstream) -> None:
    expect(page.get_by_role("link", name="Walrus Helper")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value("Tell me about walruses")
    upstream.next("ok")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f]+"))
    expect(page.locator(".message.user .message-body")).to_have_text("Tell me about walruses")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-status", "complete")
    assert upstream.requests[-1]["messages"][-1]["content"] == "Tell me about walruses"


@WIDTHS
def test_a_visitor_who_signs_up_lands_in_a_chat_with_the_starter(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper", starters=["Tell me about walruses"])
    _picked_starter_then_landed(page, gpt_id)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Display name").fill("Newcomer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    _composer_holds_the_starter_then_sends(page, upstream)


@WIDTHS
def test_a_visitor_who_logs_in_lands_in_a_chat_with_the_starter(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper", starters=["Tell me about walruses"])
    with database.session() as session:
        accounts.create_user(session, email="back@example.com", display_name="Back", password="correct horse battery")
    _picked_starter_then_landed(page, gpt_id)
    page.get_by_label("Email").fill("back@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    _composer_holds_the_starter_then_sends(page, upstream)


def test_start_chat_without_a_starter_survives_the_login_too(page, upstream, database):
    gpt_id = make_gpt(database, name="Walrus Helper")
    with database.session() as session:
        accounts.create_user(session, email="back@example.com", display_name="Back", password="correct horse battery")
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Start chat").click()
    page.get_by_label("Email").fill("back@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Walrus Helper")).to_be_visible()
    expect(page.get_by_label("Message")).to_have_value("")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f]+"))
    expect(page.get_by_text("Hello, I help with walruses.")).to_be_visible()


@WIDTHS
def test_an_empty_chat_shows_neither_stop_nor_edit(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper")
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Start chat").click()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    expect(page.get_by_role("button", name="Edit my last message")).to_be_hidden()
    expect(page.get_by_role("button", name="Regenerate the last reply")).to_be_hidden()


@WIDTHS
def test_deleting_a_conversation_asks_first_and_cancel_keeps_it(page, upstream, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper")
    page.goto("/signup")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Start chat").click()
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f]+$"))
    conversation = page.url

    page.get_by_text("Conversation options").click()
    page.get_by_role("link", name="Delete this conversation").click()
    expect(page.get_by_role("heading", name="Delete this conversation?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(conversation)
    page.goto("/c")
    expect(page.locator(".chat-list a")).to_have_count(1)  # cancel deleted nothing

    page.goto(conversation)
    page.get_by_text("Conversation options").click()
    page.get_by_role("link", name="Delete this conversation").click()
    page.get_by_role("button", name="Delete the conversation").click()
    expect(page).to_have_url(re.compile(r"/c$"))
    expect(page.get_by_text("No conversations yet.").first).to_be_visible()
    assert page.goto(conversation).status == 404

"""In real Chromium, desktop and phone: Free's refusal of another builder's GPT comes before any
conversation exists and links to the plans (issue 20 item 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.chat import service as chat
from agora.chat.models import Conversation
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _conversations(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Conversation))


@WIDTHS
def test_a_free_user_is_refused_before_an_empty_conversation_is_made(page, database, upstream, no_trial, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper", starters=["Tell me about walruses"])
    sign_up_in_chromium(page)
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Tell me about walruses").click()
    expect(page.get_by_text("Chatting with GPTs made by other builders needs the Plus plan")).to_be_visible()
    page.get_by_role("link", name="Compare plans").click()
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()
    assert _conversations(database) == 0
    page.goto("/c")
    expect(page.get_by_text("No conversations yet.").first).to_be_visible()


@WIDTHS
def test_the_chat_links_a_plan_refusal_to_the_plans(page, database, upstream, no_trial, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Helper")
    sign_up_in_chromium(page)
    with database.session() as session:  # a conversation from before the plan changed
        ada = accounts.user_by_email(session, "ada@example.com")
        conversation = chat.start(session, user=ada, gpt_id=gpt_id).id
    page.goto(f"/c/{conversation}")
    page.get_by_label("Message").fill("Tell me about walruses")
    page.get_by_role("button", name="Send").click()
    status = page.locator("#chat-status")
    expect(status).to_contain_text("needs the Plus plan")
    status.get_by_role("link", name="Compare plans").click()
    expect(page.get_by_role("heading", name="Plans and pricing")).to_be_visible()

"""An OAuth action in real Chromium, at desktop and phone widths: the builder sets its OAuth client in the editor; in a
chat, the first call waits showing "Sign in to <host>"; the person signs in at the real authorization server on
loopback (tests/actions/oauth_server.py) and comes back to the chat, where the reply carries on with their token."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.actions.oauth_server import CLIENT_ID, CLIENT_SECRET
from tests.api.conftest import standin_server, upstream  # noqa: F401  (fixtures: the stand-in model server)
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_person_signs_in_to_an_oauth_action_and_the_reply_carries_on(page, upstream, notes, database, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_up_in_chromium(page, email="builder@example.com", name="Builder")
    gpt_id = make_gpt(database, name="Notes Helper", owner_email="builder@example.com", visibility="private", starters=["What are my notes?"])
    page.goto(f"/gpts/{gpt_id}/edit")
    section = page.locator("section.actions-editor")
    section.get_by_label("OpenAPI document (JSON or YAML)").fill(notes.document())
    section.get_by_role("button", name="Add the action").click()
    card = section.locator(".action-card")
    expect(card).to_have_count(1)
    auth = card.locator("form.action-auth")
    auth.get_by_label("Type").select_option("oauth")
    expect(auth.locator(".action-redirect")).to_have_text(f"Redirect URL to register at the provider: {server.url}/actions/oauth/callback")
    auth.get_by_label("Authorization URL").fill(f"{notes.base_url}/authorize")
    auth.get_by_label("Token URL").fill(f"{notes.base_url}/token")
    auth.get_by_label("Scope").fill("notes.read")
    auth.get_by_label("Client ID").fill(CLIENT_ID)
    auth.get_by_label("Client secret").fill(CLIENT_SECRET)
    auth.get_by_role("button", name="Save the authentication").click()
    expect(auth.get_by_role("status")).to_have_text("Saved.")
    expect(auth.get_by_label("Client secret")).to_have_value("")  # never shown again
    card.get_by_role("button", name="Test listNotes").click()  # the editor has not signed in yet: the Test button says so
    card.locator(".action-test").get_by_role("button", name="Test").click()
    expect(card.get_by_role("link", name="Sign in to test")).to_be_visible()

    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="What are my notes?").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "waiting")
    confirm = reply.locator(".tool-confirm")
    expect(confirm.locator(".tool-confirm-intro")).to_have_text("To do this, the GPT needs you to sign in to 127.0.0.1. It will act there in your name.")
    expect(confirm.get_by_role("button", name="Allow")).to_have_count(0)
    box = confirm.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert notes.store.api_tokens == []

    confirm.get_by_role("link", name="Sign in to 127.0.0.1").click()
    expect(page.get_by_role("heading", name="Sign in to Notes")).to_be_visible()  # the provider's page
    page.get_by_role("button", name="Authorize").click()
    reply = page.locator(".message.assistant").last  # back in the chat: the reply carries on by itself
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".tool-use")).to_have_text("Used listNotes: GET /notes answered 200")
    expect(reply.locator(".message-body")).to_have_text("Hello from the stand-in.")
    expect(reply.locator(".tool-confirm")).to_have_count(0)
    assert "resume=" not in page.url
    assert len(notes.store.api_tokens) == 1 and notes.store.token_forms[0]["code_verifier"]
    result = [m for m in upstream.requests[-1]["messages"] if m["role"] == "tool"][-1]["content"]
    assert "Buy oat milk" in result

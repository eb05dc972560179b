"""Issue 18's "Done when" for actions, in real Chromium: a builder imports an OpenAPI document served on loopback
(allowed by AGORA_OUTBOUND_ALLOW_HOSTS), enables two of its operations with an API key; in a chat with the stand-in
model server emitting tool calls, the non-consequential one asks first and, once always allowed, runs without asking
(the person sees it on /account/allowed-tools and revokes it), the consequential one is asked about every time (no
Always allow) and, once allowed, runs and its result is shown; through /v1 with the official `openai` SDK the same GPT hands the consequential
call back to the caller as a tool call, and calls nothing itself."""

from __future__ import annotations

import json

import openai
import pytest
from playwright.sync_api import expect

from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401  (fixtures: the stand-in model server, /v1 ready)
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser

KEY = "sk-trails-secret"  # what the builder types; replaced by the same in the card's authentication form


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_builder_adds_an_action_and_a_chat_uses_it(page, upstream, trails, database, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_up_in_chromium(page, email="builder@example.com", name="Builder")
    gpt_id = make_gpt(database, name="Trail Guide", owner_email="builder@example.com", starters=["Find me a trail"])

    page.goto(f"/gpts/{gpt_id}/edit")
    section = page.locator("section.actions-editor")
    section.get_by_label("or give its URL").fill(f"{trails.base_url}/openapi.yaml")
    section.get_by_label("Type").select_option("api_key")
    section.get_by_label("API key", exact=True).fill(KEY)
    section.get_by_label("Sent as").select_option("custom")
    section.get_by_label("Header or parameter name").fill("X-Api-Key")
    section.get_by_label("Privacy policy URL").fill("https://trails.example/privacy")  # the GPT is listed in the store
    section.get_by_role("button", name="Add the action").click()
    card = section.locator(".action-card")
    expect(card).to_have_count(1)
    expect(card.locator(".action-operation")).to_have_count(5)
    book = card.locator(".action-operation", has_text="bookTrail")
    expect(book.locator(".badge")).to_have_text("asks first")
    expect(card.locator(".action-operation", has_text="listTrails").locator(".badge")).to_have_text("asks until always allowed")
    for other in ("bigAnswer", "picture", "failing"):  # two operations stay enabled
        card.get_by_role("checkbox", name=other).uncheck()
    card.get_by_role("button", name="Save the operations").click()
    expect(card.locator("form.action-choose").get_by_role("status")).to_have_text("Saved.")

    auth = card.locator("form.action-auth")  # the key replaced; the way it is sent kept
    expect(auth.get_by_label("Type")).to_have_value("api_key")
    expect(auth.get_by_label("Header or parameter name")).to_have_value("X-Api-Key")
    auth.get_by_label("API key").fill(KEY)
    auth.get_by_role("button", name="Save the authentication").click()
    expect(auth.get_by_role("status")).to_have_text("Saved.")

    card.get_by_role("button", name="Test listTrails").click()  # the Test button, with the key
    card.get_by_label("Arguments (JSON)").fill('{"near": "Annecy"}')
    card.locator(".action-test").get_by_role("button", name="Test").click()
    expect(card.locator(".action-test-result")).to_contain_text("Ridge loop near Annecy")
    assert trails.requests[-1]["headers"]["X-Api-Key"] == KEY

    # A non-consequential call sends the chat's words to the API: it asks first, with Always allow.
    upstream.tool_calls = [("listTrails", '{"near": "Chamonix"}')]
    upstream.next("tool_calls", "ok")
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Find me a trail").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "waiting")
    confirm = reply.locator(".tool-confirm")
    expect(confirm.locator(".tool-confirm-operation")).to_have_text("listTrails")
    expect(confirm.locator(".tool-confirm-intro")).to_have_text("The GPT wants to send this to a service outside Agora.")
    box = confirm.get_by_role("button", name="Always allow").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert trails.requests[-1]["path"] == "/trails" and trails.requests[-1]["query"] == {"near": ["Annecy"]}  # only the Test's
    confirm.get_by_role("button", name="Always allow").click()
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".tool-use")).to_have_text("Used listTrails: GET /trails answered 200")
    assert trails.requests[-1]["query"] == {"near": ["Chamonix"]}

    upstream.tool_calls = [("listTrails", '{"near": "Chamonix"}'), ("bookTrail", '{"requestBody": {"trail": "Ridge loop", "people": 2}}')]
    upstream.next("tool_calls", "ok")
    page.goto(f"/g/{gpt_id}")
    page.get_by_role("button", name="Find me a trail").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "waiting")
    expect(reply.locator(".tool-use")).to_have_text("Used listTrails: GET /trails answered 200")  # always allowed: ran without asking
    confirm = reply.locator(".tool-confirm")
    expect(confirm.get_by_role("button", name="Always allow")).to_have_count(0)  # never for a consequential call
    expect(confirm.locator(".tool-confirm-operation")).to_have_text("bookTrail")
    expect(confirm.locator(".tool-confirm-server")).to_have_text(f"127.0.0.1:{trails.port}")
    expect(confirm.locator(".tool-confirm-arguments")).to_contain_text('"trail": "Ridge loop"')
    assert [r["path"] for r in trails.requests[-1:]] == ["/trails"]  # the booking waits
    box = confirm.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width

    page.reload()  # the question survives a reload
    reply = page.locator(".message.assistant").last
    reply.get_by_role("button", name="Allow").click()
    expect(reply).to_have_attribute("data-status", "complete")
    expect(reply.locator(".tool-use").last).to_have_text("Used bookTrail: POST /bookings answered 201")
    expect(reply.locator(".message-body")).to_have_text("Hello from the stand-in.")
    expect(reply.locator(".tool-confirm")).to_have_count(0)
    booking = trails.requests[-1]
    assert (booking["path"], json.loads(booking["body"]), booking["headers"]["X-Api-Key"]) == ("/bookings", {"trail": "Ridge loop", "people": 2}, KEY)
    results = [m for m in upstream.requests[-1]["messages"] if m["role"] == "tool"]
    assert "Ridge loop near Chamonix" in results[0]["content"] and '"booking": "B-1"' in results[1]["content"]

    # What the person always allows, and revoking it.
    page.goto("/account")
    page.get_by_role("link", name="Tools you always allow").click()
    row = page.locator(".allowance")
    expect(row).to_have_count(1)
    expect(row.locator(".allowance-operation")).to_have_text("listTrails")
    expect(row.locator(".allowance-server")).to_have_text(f"127.0.0.1:{trails.port}")
    expect(row).to_contain_text("Trail Guide")
    row.get_by_role("button", name="Revoke listTrails of Trail Guide").click()
    expect(page.get_by_role("status")).to_have_text("Revoked: it asks again before its next call.")
    expect(page.locator(".allowance")).to_have_count(0)

    # The same GPT through /v1: the booking comes back to the caller as a tool call.
    calls_before = len(trails.requests)
    upstream.next("tool_calls")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database, "builder@example.com"), max_retries=0, timeout=30) as client:
        choice = client.chat.completions.create(model=gpt_id, messages=[{"role": "user", "content": "Book me a walk"}]).choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("bookTrail", {"requestBody": {"trail": "Ridge loop", "people": 2}})
    # The model asked for both in one turn: the booking goes to the caller, and listTrails is not run alone (its result
    # could not reach the model with the caller's answer); the model asks for it again if it still needs it.
    assert trails.requests[calls_before:] == []

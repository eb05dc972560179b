"""Builders chat with their saved draft from the editor; nothing is stored, others cannot."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from agora.chat.models import Conversation, Message
from agora.metering.models import DailyGptUsage, UsageRecord
from tests.chat.conftest import sse_events, standin_server, upstream  # noqa: F401
from tests.conftest import flush_usage


@pytest.fixture
def drafted(make_builder, upstream):
    owner = make_builder("owner@example.com", "Olive")
    gpt_id = owner.create(name="Draft Walrus", instructions="Only the draft knows the walrus password.")
    return owner, gpt_id


def preview(client, gpt_id, messages):
    return client.post(f"/api/gpts/{gpt_id}/preview", json={"messages": messages}, headers=client.api_headers())


def test_the_draft_answers_with_its_unpublished_instructions(drafted, upstream, database):
    owner, gpt_id = drafted
    response = preview(owner.client, gpt_id, [{"role": "user", "content": "hello"}])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.iter_lines())
    assert "".join(d["text"] for name, d in events if name == "delta") == "Hello from the stand-in."
    # `html`: the reply as the chat renders it (the same Markdown renderer and sanitizer)
    assert events[-1] == ("done", {"status": "complete", "error": "", "usage": events[-1][1]["usage"], "citations": [], "confirm": [],
                                   "html": "<p>Hello from the stand-in.</p>\n", "withheld": ""})
    system = upstream.requests[-1]["messages"][0]["content"]
    assert "Only the draft knows the walrus password." in system  # the draft, never published
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_only_editors_preview_and_bad_turns_are_named(drafted, make_builder, make_browser):
    owner, gpt_id = drafted
    other = make_builder("other@example.com", "Otto")
    assert preview(other.client, gpt_id, [{"role": "user", "content": "hi"}]).status_code == 404
    visitor = make_browser()
    assert preview(visitor, gpt_id, [{"role": "user", "content": "hi"}]).status_code == 401
    for messages, field in [([], "messages"), ([{"role": "assistant", "content": "hi"}], "messages"),
                            ([{"role": "system", "content": "hi"}], "messages.0.role"), ([{"role": "user", "content": ""}], "content")]:
        response = preview(owner.client, gpt_id, messages)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, messages


@pytest.mark.browser
def test_the_editor_chats_with_the_draft(page, upstream, database):
    page.goto("/signup")
    page.get_by_label("Email").fill("olive@example.com")
    page.get_by_label("Display name").fill("Olive")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill("Draft Walrus")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_label("Message to the draft").fill("hello")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("[data-preview-log] .message.assistant")).to_have_text("Hello from the stand-in.")


def test_the_preview_runs_the_drafts_tools_and_is_metered_as_a_preview(make_builder, upstream, database):
    owner = make_builder("owner@example.com", "Olive")
    gpt_id = owner.create(name="Counting Walrus", capabilities={"calculator": True})
    upstream.tool_calls = [("calculator", '{"expression": "2 + 2"}')]
    upstream.next("tool_calls", "ok")
    events = sse_events(preview(owner.client, gpt_id, [{"role": "user", "content": "two and two?"}]).iter_lines())
    assert [name for name, _ in events][0::len(events) - 1] == ["tool", "done"] and {name for name, _ in events[1:-1]} == {"delta"}
    assert events[0][1]["line"] == "Used Calculator: 2 + 2 = 4" and events[-1][1]["status"] == "complete"
    flush_usage(database)
    with database.session() as session:
        [usage] = session.scalars(select(UsageRecord)).all()
        assert (usage.source, usage.gpt_id, usage.gpt_version, usage.status) == ("preview", gpt_id, None, "complete")
        assert usage.completion_tokens == events[-1][1]["usage"]["completion_tokens"] > 0
        assert session.scalar(select(func.count()).select_from(DailyGptUsage)) == 0  # never rolled up: no trending, no payouts

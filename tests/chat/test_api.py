"""The chat JSON API over real HTTP, with the stand-in OpenAI-compatible server upstream."""

from __future__ import annotations

from sqlalchemy import select

from agora.accounts import service as accounts
from agora.chat.models import Message
from agora.metering.models import UsageRecord
from tests.chat.conftest import SECRET_INSTRUCTIONS, make_gpt


def test_a_conversation_streams_deltas_then_done_and_is_stored(chat, upstream, database):
    gpt_id = make_gpt(database)
    conversation_id = chat.start(gpt_id)
    events = chat.send(conversation_id, "Hello walrus")
    names = [name for name, _ in events]
    assert set(names[:-1]) == {"delta"} and names[-1] == "done"  # tokens read together may share a delta
    assert "".join(data["text"] for name, data in events if name == "delta") == "Hello from the stand-in."
    done = events[-1][1]
    assert done["status"] == "complete" and done["usage"]["completion_tokens"] == 4 and done["usage"]["prompt_tokens"] > 0
    stored = chat.get(conversation_id)
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    reply = stored["messages"][1]
    assert reply["id"] == done["id"] and reply["content"] == "Hello from the stand-in." and reply["status"] == "complete"
    assert reply["gpt_id"] == gpt_id and reply["model"] == "standin" and reply["latency_ms"] >= 0
    assert stored["title"] == "Hello walrus"


def test_the_prompt_has_preamble_instructions_and_history_but_the_browser_never_sees_instructions(chat, upstream, database, browser):
    gpt_id = make_gpt(database)
    conversation_id = chat.start(gpt_id)
    chat.send(conversation_id, "first question")
    chat.send(conversation_id, "second question")
    sent = upstream.requests[-1]["messages"]
    assert sent[0]["role"] == "system" and SECRET_INSTRUCTIONS in sent[0]["content"] and "Today is" in sent[0]["content"]
    assert [m["content"] for m in sent[1:]] == ["first question", "Hello from the stand-in.", "second question"]
    for page in (browser.get(f"/api/conversations/{conversation_id}").text, browser.get(f"/c/{conversation_id}").text, browser.get("/api/conversations").text):
        assert "purple walrus" not in page


def test_history_that_does_not_fit_is_left_out_and_recorded(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    for _ in range(4):
        chat.send(conversation_id, "x" * 900)  # ~300 tokens each against a 1200-token window, 200 kept for the reply
    sent = upstream.requests[-1]["messages"]
    reply = chat.get(conversation_id)["messages"][-1]
    assert reply["omitted_messages"] > 0
    assert len(sent) - 1 == 7 - reply["omitted_messages"]  # 4 questions + 3 earlier replies, minus what was left out
    assert sent[-1]["content"] == "x" * 900


def test_bad_messages_are_refused_clearly(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    empty = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "   "}, headers=chat.headers)
    assert empty.status_code == 422 and empty.json()["error"] == {"code": "invalid_input", "message": "Write a message first.", "field": "content"}
    huge = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "a" * 100_000}, headers=chat.headers)
    assert huge.status_code == 422 and "at most 20000 characters; this one has 100000" in huge.json()["error"]["message"]
    too_long_for_model = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "word " * 3000}, headers=chat.headers)
    assert too_long_for_model.status_code == 422 and "too long for the model" in too_long_for_model.json()["error"]["message"]
    assert chat.get(conversation_id)["messages"] == [] and upstream.requests == []


def test_someone_elses_conversation_is_not_found(chat, upstream, database, make_browser):
    conversation_id = chat.start(make_gpt(database))
    chat.send(conversation_id, "mine")
    other = make_browser()
    other.signup(email="eve@example.com", name="Eve")
    headers = other.api_headers()
    assert other.get(f"/api/conversations/{conversation_id}").status_code == 404
    assert other.post(f"/api/conversations/{conversation_id}/messages", json={"content": "hi"}, headers=headers).status_code == 404
    assert other.post(f"/api/conversations/{conversation_id}/stop", headers=headers).status_code == 404
    assert other.delete(f"/api/conversations/{conversation_id}", headers=headers).status_code == 404
    assert other.get(f"/c/{conversation_id}").status_code == 404
    assert other.get("/api/conversations").json() == []


def test_a_gpt_you_may_not_use(chat, upstream, database):
    private = make_gpt(database, visibility="private")
    refused = chat.browser.post("/api/conversations", json={"gpt_id": private}, headers=chat.headers)
    assert refused.status_code == 404 and refused.json()["error"]["field"] == "gpt_id"
    conversation_id = chat.start(make_gpt(database, name="Open"))
    mention = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "hi", "mention": private}, headers=chat.headers)
    assert mention.status_code == 404 and mention.json()["error"]["field"] == "mention"


def test_visitors_must_log_in(make_browser, upstream, database):
    visitor = make_browser()
    assert visitor.get("/api/conversations").status_code == 401
    created = visitor.post("/api/conversations", json={"gpt_id": make_gpt(database)}, headers=visitor.api_headers())
    assert created.status_code == 401


def test_list_rename_search_delete(chat, upstream, database):
    gpt_id = make_gpt(database)
    first, second = chat.start(gpt_id), chat.start(gpt_id)
    chat.send(first, "about tides")
    chat.send(second, "about krill")
    listed = chat.browser.get("/api/conversations").json()
    assert [c["id"] for c in listed] == [second, first]
    renamed = chat.browser.patch(f"/api/conversations/{first}", json={"title": "  Tides   and moons "}, headers=chat.headers)
    assert renamed.json()["title"] == "Tides and moons"
    assert chat.browser.patch(f"/api/conversations/{first}", json={"title": " "}, headers=chat.headers).status_code == 422
    assert [c["id"] for c in chat.browser.get("/api/conversations", params={"q": "moons"}).json()] == [first]
    assert [c["id"] for c in chat.browser.get("/api/conversations", params={"q": "KRILL"}).json()] == [second]
    assert chat.browser.delete(f"/api/conversations/{first}", headers=chat.headers).status_code == 204
    assert chat.browser.get(f"/api/conversations/{first}").status_code == 404
    with database.session() as session:  # usage survives: it is what was consumed
        assert len(session.scalars(select(UsageRecord)).all()) == 2
        assert session.scalars(select(Message).where(Message.conversation_id == first)).all() == []


def test_every_reply_records_its_usage_in_the_same_transaction(chat, upstream, database):
    gpt_id = make_gpt(database)
    conversation_id = chat.start(gpt_id)
    done = chat.send(conversation_id, "count me")[-1][1]
    with database.session() as session:
        record = session.scalars(select(UsageRecord)).one()
        reply = session.get(Message, done["id"])
        assert (record.gpt_id, record.gpt_version, record.model, record.message_id, record.status) == (gpt_id, 1, "standin", reply.id, "complete")
        assert (record.prompt_tokens, record.completion_tokens, record.latency_ms) == (reply.prompt_tokens, reply.completion_tokens, reply.latency_ms)
        assert record.user_id == accounts.user_by_email(session, "ada@example.com").id


def test_the_api_is_in_the_openapi_schema(browser):
    paths = browser.get("/api/openapi.json").json()["paths"]
    assert {"/api/conversations", "/api/conversations/{conversation_id}", "/api/conversations/{conversation_id}/messages",
            "/api/conversations/{conversation_id}/stop"} <= set(paths)

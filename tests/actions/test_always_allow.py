"""The chat asks before an action's non-consequential call too (its data leaves for a third party), with Allow, Always
allow and Deny; "Always allow" is remembered per person, GPT and operation (revocable), never offered nor accepted for a
consequential call; a decision is taken once (409 `not_waiting`); /v1 runs non-consequential calls without asking."""

from __future__ import annotations

import openai
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.actions import service as actions
from agora.config import get_settings
from agora.tools.models import ToolAllowance
from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401  (fixtures: the stand-in model server, /v1 ready)
from tests.chat.conftest import chat, make_gpt, sse_events  # noqa: F401

LIST = ("listTrails", '{"near": "Annecy"}')
BOOK = ("bookTrail", '{"requestBody": {"trail": "Ridge loop", "people": 2}}')


def _trails_gpt(database, trails, name: str = "Trail Guide") -> str:
    gpt_id = make_gpt(database, name=name)
    with database.session() as session:
        builder = accounts.user_by_email(session, "builder@example.com")
        actions.create(session, builder, get_settings(), gpt_id, actions.Change(schema=trails.document(), enabled=["listTrails", "bookTrail"],
                                                                              privacy_url="https://trails.example/privacy"))
    return gpt_id


def _decide(chat, conversation_id: str, reply_id: int, **body):
    with chat.stream(f"/api/conversations/{conversation_id}/messages/{reply_id}/confirm", body) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, response.json()
        return 200, sse_events(response)


def _ask(chat, upstream, conversation_id: str, *calls: tuple[str, str]) -> list[tuple[str, dict]]:
    upstream.modes.clear()  # a reply that waited left its "ok" unused
    upstream.tool_calls = list(calls)
    upstream.next("tool_calls", "ok")
    return chat.send(conversation_id, "Find me a trail")


def test_a_non_consequential_call_asks_until_always_allowed_then_runs_without_asking(chat, upstream, trails, database):
    gpt_id = _trails_gpt(database, trails)
    conversation_id = chat.start(gpt_id)
    done = _ask(chat, upstream, conversation_id, LIST)[-1][1]
    assert done["status"] == "waiting" and trails.requests == []  # nothing sent before the person says so
    [asked] = done["confirm"]
    assert (asked["name"], asked["server"], asked["can_always_allow"]) == ("listTrails", f"127.0.0.1:{trails.port}", True)
    page = chat.browser.get(f"/c/{conversation_id}").text
    assert "tool-always" in page and "send this to a service outside Agora" in page

    status, events = _decide(chat, conversation_id, done["id"], allow=True)  # Allow: this call only
    assert status == 200 and events[0][1]["line"] == "Used listTrails: GET /trails answered 200"
    assert [r["path"] for r in trails.requests] == ["/trails"]
    assert chat.browser.get("/api/account/allowed-tools").json() == []

    done = _ask(chat, upstream, conversation_id, LIST)[-1][1]  # asks again
    assert done["status"] == "waiting"
    status, _ = _decide(chat, conversation_id, done["id"], allow=True, always=True)
    assert status == 200 and len(trails.requests) == 2
    assert _decide(chat, conversation_id, done["id"], allow=True, always=True)[0] == 409  # the double click: taken once
    assert len(trails.requests) == 2
    [allowed] = chat.browser.get("/api/account/allowed-tools").json()
    assert (allowed["gpt_id"], allowed["gpt_name"], allowed["tool"], allowed["server"]) == (gpt_id, "Trail Guide", "listTrails",
                                                                                          f"127.0.0.1:{trails.port}")

    events = _ask(chat, upstream, conversation_id, LIST)  # runs at once now, in a new conversation too
    assert events[0][0] == "tool" and events[-1][1]["status"] == "complete"
    other = chat.start(gpt_id)
    assert _ask(chat, upstream, other, LIST)[-1][1]["status"] == "complete" and len(trails.requests) == 4

    # Per GPT: the same operation of another GPT asks; per person: another user is asked.
    assert _ask(chat, upstream, chat.start(_trails_gpt(database, trails, "Other Guide")), LIST)[-1][1]["status"] == "waiting"

    page = chat.browser.get("/account/allowed-tools").text
    assert "Trail Guide" in page and "listTrails" in page
    assert chat.browser.delete(f"/api/account/allowed-tools/{allowed['id']}", headers=chat.headers).status_code == 204
    assert chat.browser.delete(f"/api/account/allowed-tools/{allowed['id']}", headers=chat.headers).status_code == 204  # again: fine
    assert chat.browser.get("/api/account/allowed-tools").json() == []
    assert _ask(chat, upstream, conversation_id, LIST)[-1][1]["status"] == "waiting"  # revoked: asks again


def test_always_allow_is_refused_for_a_consequential_call_and_nothing_changes(chat, upstream, trails, database):
    conversation_id = chat.start(_trails_gpt(database, trails))
    done = _ask(chat, upstream, conversation_id, LIST, BOOK)[-1][1]
    assert [c["can_always_allow"] for c in done["confirm"]] == [True, False]
    page = chat.browser.get(f"/c/{conversation_id}").text
    assert "tool-always" not in page  # not offered for a question holding a consequential call

    status, body = _decide(chat, conversation_id, done["id"], allow=True, always=True)
    assert status == 422 and body["error"]["field"] == "always" and body["error"]["code"] == "always_not_offered"
    status, body = _decide(chat, conversation_id, done["id"], allow=False, always=True)
    assert status == 422 and body["error"]["field"] == "always"
    assert trails.requests == [] and chat.get(conversation_id)["messages"][-1]["status"] == "waiting"  # still asking
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ToolAllowance)) == 0

    status, events = _decide(chat, conversation_id, done["id"], allow=True)  # Allow, one call at a time
    assert status == 200 and [r["path"] for r in trails.requests] == ["/trails", "/bookings"]
    assert _decide(chat, conversation_id, done["id"], allow=False)[0] == 409  # another tab's late Deny


def test_v1_runs_non_consequential_calls_without_asking(chat, upstream, trails, database, server):
    gpt_id = _trails_gpt(database, trails)
    upstream.tool_calls = [LIST]
    upstream.next("tool_calls", "ok")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database, "builder@example.com"), max_retries=0, timeout=30) as client:
        reply = client.chat.completions.create(model=gpt_id, messages=[{"role": "user", "content": "Find me a trail"}])
    assert reply.choices[0].finish_reason == "stop" and [r["path"] for r in trails.requests] == ["/trails"]

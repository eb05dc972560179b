"""Consequential tool calls wait for the person's word (agora.replies.waiting), whatever source the tool comes from.

A test tool source gives GPTs named in `ASKING` a consequential "send_mail" tool (and the
calculator, which is not): the chat's reply waits, shows the call, and carries on once the
person allows or denies it; /v1 hands the call back to the caller instead.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import openai
import pytest
from sqlalchemy import select

from agora.chat.models import Message
from agora.metering.models import UsageRecord
from agora.tools import registry
from agora.tools.base import ToolContext, ToolResult
from tests.api.conftest import make_key, usage_records
from tests.chat.conftest import make_gpt, sse_events

MAIL = '{"to": "ana@example.com", "subject": "Hi"}'


class SendMail:
    name = "send_mail"
    description = "Sends an e-mail."
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {"to": {"type": "string"}, "subject": {"type": "string"}}}
    consequential = True
    timeout_seconds = 2.0
    max_result_chars = 1000
    server = "mail.example.com"
    sent: ClassVar[list[dict[str, Any]]] = []

    def title(self) -> str:
        return "Send mail"

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        self.sent.append(arguments)
        return ToolResult(content="sent", summary=f"sent to {arguments['to']}")


ASKING: set[str] = set()
SEND_MAIL = SendMail()


def _mail_tools(session, owner):
    if owner.gpt_id in ASKING:
        yield SEND_MAIL


registry.register(_mail_tools, tools=[SEND_MAIL])


@pytest.fixture
def asking_gpt(database):
    SendMail.sent.clear()
    gpt_id = make_gpt(database, capabilities={"calculator": True})
    ASKING.add(gpt_id)
    yield gpt_id
    ASKING.discard(gpt_id)


def _confirm(chat, conversation_id: str, reply_id: int, allow: bool):
    path = f"/api/conversations/{conversation_id}/messages/{reply_id}/confirm"
    with chat.stream(path, {"allow": allow}) as response:
        if response.status_code != 200:
            return response.status_code, response.read()
        return 200, sse_events(response)


def test_a_consequential_call_waits_for_allow_then_runs_and_the_reply_carries_on(chat, upstream, database, asking_gpt):
    conversation_id = chat.start(asking_gpt)
    upstream.tool_calls = [("calculator", '{"expression": "2 + 2"}'), ("send_mail", MAIL)]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Mail Ana")
    assert [name for name, _ in events] == ["tool", "done"]  # the calculator ran; the mail waits
    done = events[-1][1]
    assert done["status"] == "waiting"
    assert done["confirm"] == [{"name": "send_mail", "title": "Send mail", "server": "mail.example.com",
                                "arguments": json.dumps(json.loads(MAIL), indent=2), "can_always_allow": False}]
    assert SendMail.sent == [] and len(upstream.requests) == 1
    stored = chat.get(conversation_id)["messages"][-1]
    assert stored["status"] == "waiting" and stored["confirm"][0]["server"] == "mail.example.com"
    page = chat.browser.get(f"/c/{conversation_id}").text
    assert "mail.example.com" in page and "tool-allow" in page and "ana@example.com" in page

    status, resumed = _confirm(chat, conversation_id, done["id"], allow=True)
    assert status == 200
    assert resumed[0] == ("tool", {"name": "send_mail", "summary": "sent to ana@example.com", "ok": True,
                                   "line": "Used Send mail: sent to ana@example.com"})
    assert resumed[-1][1]["status"] == "complete" and resumed[-1][1]["id"] == done["id"]
    assert SendMail.sent == [{"to": "ana@example.com", "subject": "Hi"}]
    sent = upstream.requests[-1]["messages"]
    assert [m["role"] for m in sent[-4:]] == ["user", "assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in sent[-2:]] == ["call_standin0", "call_standin1"]
    assert (sent[-2]["content"], sent[-1]["content"]) == ("4", "sent")
    reply = chat.get(conversation_id)["messages"][-1]
    assert reply["status"] == "complete" and reply["confirm"] == [] and reply["content"] == "Hello from the stand-in."
    assert [use["name"] for use in reply["tool_uses"]] == ["calculator", "send_mail"]
    with database.session() as session:  # the wait and the carrying on: one usage event each
        keys = session.scalars(select(UsageRecord.idempotency_key).where(UsageRecord.message_id == done["id"]).order_by(UsageRecord.id)).all()
    assert keys == [f"web:message:{done['id']}", f"web:message:{done['id']}:after:1"]

    status, _ = _confirm(chat, conversation_id, done["id"], allow=True)  # a second click: the call never runs twice
    assert status == 409 and len(SendMail.sent) == 1


def test_a_denied_call_is_not_made_and_the_model_is_told(chat, upstream, asking_gpt):
    conversation_id = chat.start(asking_gpt)
    upstream.tool_calls = [("send_mail", MAIL)]
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "Mail Ana")[-1][1]
    assert done["status"] == "waiting"
    status, resumed = _confirm(chat, conversation_id, done["id"], allow=False)
    assert status == 200 and SendMail.sent == []
    assert resumed[0][1]["ok"] is False and resumed[0][1]["summary"] == "You declined it."
    assert upstream.requests[-1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin0",
                                                     "content": "The user declined this call; it was not made."}
    assert resumed[-1][1]["status"] == "complete"


def test_a_new_message_instead_of_a_decision_settles_the_waiting_reply(chat, upstream, asking_gpt, database):
    conversation_id = chat.start(asking_gpt)
    upstream.tool_calls = [("send_mail", MAIL)]
    upstream.next("tool_calls", "ok")
    waiting = chat.send(conversation_id, "Mail Ana")[-1][1]
    assert chat.send(conversation_id, "Never mind")[-1][1]["status"] == "complete"
    with database.session() as session:
        row = session.get(Message, waiting["id"])
        assert (row.status, row.waiting) == ("complete", None)
    assert _confirm(chat, conversation_id, waiting["id"], allow=True)[0] == 409
    assert SendMail.sent == []


def test_the_page_without_javascript_allows_with_a_form(chat, upstream, asking_gpt):
    conversation_id = chat.start(asking_gpt)
    upstream.tool_calls = [("send_mail", MAIL)]
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "Mail Ana")[-1][1]
    page = f"/c/{conversation_id}"
    response = chat.browser.submit(f"{page}/confirm/{done['id']}", {"decision": "allow"}, form_page=page)
    assert response.status_code == 303 and SendMail.sent == [{"to": "ana@example.com", "subject": "Hi"}]
    shown = chat.browser.get(page).text
    assert "Used Send mail: sent to ana@example.com" in shown and "tool-allow" not in shown


@pytest.mark.parametrize("stream", [False, True])
def test_v1_hands_a_consequential_call_back_to_the_caller(server, upstream, database, asking_gpt, stream):
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database), max_retries=0, timeout=20) as client:
        upstream.tool_calls = [("send_mail", MAIL)]
        upstream.next("tool_calls")
        ask = [{"role": "user", "content": "Mail Ana"}]
        if stream:
            chunks = list(client.chat.completions.create(model=asking_gpt, messages=ask, stream=True))
            pieces = [call for c in chunks if c.choices and c.choices[0].delta.tool_calls for call in c.choices[0].delta.tool_calls]
            assert [(p.index, p.id, p.function.name, p.function.arguments) for p in pieces] == [(0, "call_standin0", "send_mail", MAIL)]
            assert chunks[-1].choices[0].finish_reason == "tool_calls"
        else:
            choice = client.chat.completions.create(model=asking_gpt, messages=ask).choices[0]
            assert choice.finish_reason == "tool_calls"
            [call] = choice.message.tool_calls
            assert (call.id, call.function.name, call.function.arguments) == ("call_standin0", "send_mail", MAIL)
    assert SendMail.sent == [] and len(upstream.requests) == 1
    assert [r.status for r in usage_records(database)] == ["complete"]


def test_the_preview_shows_a_consequential_call_without_making_it(browser, upstream, database):
    browser.signup(email="maker@example.com")
    asking_gpt = make_gpt(database, owner_email="maker@example.com")  # the signed-up builder's own GPT
    ASKING.add(asking_gpt)
    SendMail.sent.clear()
    upstream.tool_calls = [("send_mail", MAIL)]
    upstream.next("tool_calls")
    with browser.stream("POST", f"/api/gpts/{asking_gpt}/preview", json={"messages": [{"role": "user", "content": "Mail Ana"}]},
                        headers=browser.api_headers()) as response:
        assert response.status_code == 200
        done = sse_events(response)[-1][1]
    ASKING.discard(asking_gpt)
    assert done["status"] == "waiting" and done["confirm"][0]["server"] == "mail.example.com"
    assert SendMail.sent == []

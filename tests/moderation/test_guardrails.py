"""Message guardrails through HTTP: the chat's SSE, /v1 and the editor preview, with the built-in moderation provider and
the stand-in /v1/moderations server; blocked messages never reach the model, withheld replies are replaced, flagged
exchanges reach the moderators' queue; bad settings stop the start."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from agora.app import create_app
from agora.audit.models import AuditEntry
from agora.chat.models import Conversation, Message
from agora.config import Settings
from agora.moderation.models import MessageFlag
from tests.api.conftest import make_key, usage_records, use_settings
from tests.chat.conftest import ChatClient, make_gpt
from tests.conftest import flush_usage, free_port
from tests.moderation.conftest import make_moderator
from tests.moderation.standin import StandIn as ModerationStandIn
from tests.providers.standin import StandIn

BOMB = "Tell me how to make a bomb at home"  # the built-in wordlist's illicit/violent


@pytest.fixture(scope="module")
def model_server() -> StandIn:
    return StandIn().start_in_thread()


@pytest.fixture
def model(model_server: StandIn, server, monkeypatch) -> Iterator[StandIn]:
    """The app's chat model is the stand-in (replying `model.reply`); the test sets the guardrails with `guard(...)`."""
    model_server.reset()
    monkeypatch.setattr(model_server, "reply", "Hello from the stand-in.")
    use_settings(server, chat_provider="openai", openai_base_url=model_server.base_url, openai_models="standin,other",
                 openai_timeout_seconds=2.0, openai_max_retries=0, openai_context_tokens=1200, chat_max_reply_tokens=200)
    server.app.state.caches.clear()
    yield model_server
    flush_usage(server.database)
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None


@pytest.fixture
def guard(server, model):
    def set_policy(default: str = "flag", categories: str = "", **more) -> None:
        use_settings(server, moderation_messages=default, moderation_messages_categories=categories, **more)
        server.app.state.caches.clear()

    return set_policy


@pytest.fixture
def moderation_server() -> Iterator[ModerationStandIn]:
    standin = ModerationStandIn()
    yield standin
    standin.close()


@pytest.fixture
def chat(make_browser) -> ChatClient:
    person = make_browser()
    person.signup(email="ada@example.com")
    return ChatClient(person)


@pytest.fixture
def moderator(make_browser, database):
    browser = make_browser()
    browser.signup(email="mod@example.com", name="Mo")
    make_moderator(database, "mod@example.com")
    return browser


def send_refused(chat: ChatClient, conversation_id: str, content: str) -> httpx.Response:
    response = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers=chat.headers)
    return response


def flags(database) -> list[MessageFlag]:
    flush_usage(database)
    with database.session() as session:
        return list(session.scalars(select(MessageFlag).order_by(MessageFlag.id)))


def audit_actions(database) -> list[str]:
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("moderation.%")).order_by(AuditEntry.seq))
        return [action for action in actions if action.startswith(("moderation.message_", "moderation.reply_"))]


def test_with_the_policy_off_nothing_is_screened(database, model, chat):
    conversation = chat.start(make_gpt(database))
    events = sse_events_done(chat.send(conversation, BOMB))
    assert events["status"] == "complete" and not events["withheld"]
    assert flags(database) == []


def sse_events_done(events: list[tuple[str, dict]]) -> dict:
    [done] = [data for name, data in events if name == "done"]
    return done


def test_a_blocked_message_never_reaches_the_model_nor_the_conversation_and_its_copy_reaches_the_queue(database, guard, model, chat, moderator):
    guard("flag", "illicit/violent=block")
    gpt_id = make_gpt(database)
    conversation = chat.start(gpt_id)
    response = send_refused(chat, conversation, BOMB)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "content_policy_violation" and error["field"] == "content"
    assert "illicit/violent" in error["message"] and "moderators" in error["message"]
    assert model.requests == []  # the model was never called
    assert chat.get(conversation)["messages"] == []  # nothing half-written
    assert [record for record in usage_records(database) if record.gpt_id == gpt_id] == []  # nothing metered as a reply
    [flag] = flags(database)
    assert (flag.action, flag.message_action, flag.reply, flag.source) == ("block", "block", None, "web")
    assert flag.message == BOMB and set(flag.message_categories) == {"illicit/violent"} and flag.conversation_id == conversation
    assert audit_actions(database) == ["moderation.message_blocked"]
    queue = moderator.get("/moderation").text
    assert BOMB in queue and "No reply: the message was not sent to the model." in queue
    # The same conversation carries on with an ordinary message.
    assert sse_events_done(chat.send(conversation, "Tell me about walruses"))["status"] == "complete"


def test_a_flagged_message_goes_on_and_the_exchange_waits_for_a_moderator_who_erases_it_once_read(database, guard, model, chat, moderator):
    guard("flag")
    conversation = chat.start(make_gpt(database))
    done = sse_events_done(chat.send(conversation, BOMB))
    assert done["status"] == "complete" and not done["withheld"] and "Hello from the stand-in." in done["html"]
    [flag] = flags(database)
    assert (flag.action, flag.message_action, flag.reply_action) == ("flag", "flag", "")
    assert flag.message == BOMB and flag.reply == "Hello from the stand-in." and flag.message_id == done["id"]
    page = moderator.get("/moderation").text
    assert BOMB in page and "Hello from the stand-in." in page
    assert moderator.submit(f"/moderation/messages/{flag.id}/reviewed", {}, form_page="/moderation").status_code == 303
    [flag] = flags(database)
    assert flag.reviewed_at is not None and flag.message == "" and flag.reply is None
    assert BOMB not in moderator.get("/moderation").text
    assert audit_actions(database) == ["moderation.message_flagged", "moderation.message_reviewed"]
    # Someone who is not a moderator cannot read or review the queue.
    assert chat.browser.get("/moderation").status_code == 403


def test_a_blocked_reply_is_replaced_by_the_notice_at_the_end_of_the_stream_and_in_what_is_stored(database, guard, model, chat):
    guard("block", moderation_messages_replies=True)
    model.reply = "Here is how to make a bomb at home."
    conversation = chat.start(make_gpt(database))
    events = chat.send(conversation, "Tell me a story")
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert "how to make a bomb" in streamed  # a stream cannot be unsent: what was shown is replaced at the end
    done = sse_events_done(events)
    assert "This reply was withheld" in done["withheld"] and "illicit/violent" in done["withheld"]
    assert "how to make a bomb" not in done["html"] and "This reply was withheld" in done["html"]
    [stored] = [m for m in chat.get(conversation)["messages"] if m["role"] == "assistant"]
    assert "how to make a bomb" not in stored["content"] and stored["content"].startswith("This reply was withheld")
    [flag] = flags(database)
    assert (flag.action, flag.message_action, flag.reply_action) == ("block", "", "block")
    assert flag.reply == "Here is how to make a bomb at home." and flag.message == "Tell me a story"
    assert audit_actions(database) == ["moderation.reply_blocked"]


def test_replies_are_not_screened_when_the_operator_says_so(database, guard, model, chat):
    guard("block", moderation_messages_replies=False)
    model.reply = "Here is how to make a bomb at home."
    conversation = chat.start(make_gpt(database))
    done = sse_events_done(chat.send(conversation, "Tell me a story"))
    assert not done["withheld"] and "how to make a bomb" in done["html"]
    assert flags(database) == []


def test_v1_answers_a_blocked_message_in_openais_error_shape_with_the_openai_compatible_provider(server, database, guard, model, moderation_server):
    guard("block", moderation_provider="openai", moderation_base_url=moderation_server.url)
    key = make_key(database)
    with httpx.Client(base_url=server.url, timeout=20) as v1:
        response = v1.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                           json={"model": "standin", "messages": [{"role": "user", "content": "a forbidden plan"}]})
    assert response.status_code == 400
    assert response.json() == {"error": {"message": response.json()["error"]["message"], "type": "invalid_request_error", "param": "messages",
                                         "code": "content_policy_violation"}}
    assert "violence" in response.json()["error"]["message"]
    assert model.requests == [] and moderation_server.requests[-1]["body"]["input"] == ["a forbidden plan"]
    [flag] = flags(database)
    assert (flag.source, flag.gpt_id, flag.provider, flag.message) == ("api", None, "openai", "a forbidden plan")


def test_v1_withholds_a_flagged_reply_as_openais_refusal_whole_and_streamed(server, database, guard, model, moderation_server):
    guard("block", moderation_provider="openai", moderation_base_url=moderation_server.url)
    model.reply = "A forbidden answer."
    key = make_key(database)
    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": "standin", "messages": [{"role": "user", "content": "Hello"}]}
    with httpx.Client(base_url=server.url, timeout=20) as v1:
        whole = v1.post("/v1/chat/completions", headers=headers, json=body).json()
        [choice] = whole["choices"]
        assert choice["finish_reason"] == "content_filter"
        assert choice["message"]["content"] is None and "This reply was withheld" in choice["message"]["refusal"]
        with v1.stream("POST", "/v1/chat/completions", headers=headers, json={**body, "stream": True}) as streamed:
            chunks = [json.loads(line[6:]) for line in streamed.iter_lines() if line.startswith("data: {")]
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks if chunk["choices"])
    assert "forbidden" in text  # streamed before the end: told to replace it by the last chunk
    last = chunks[-1]["choices"][0]
    assert last["finish_reason"] == "content_filter" and "This reply was withheld" in last["delta"]["refusal"]
    assert [flag.reply_action for flag in flags(database)] == ["block", "block"]


def test_v1_lets_a_flagged_message_through_and_never_screens_a_tool_result_as_a_message(server, database, guard, model, moderation_server):
    guard("flag", "violence=block", moderation_provider="openai", moderation_base_url=moderation_server.url,
          moderation_messages_replies=False)
    headers = {"Authorization": f"Bearer {make_key(database)}"}
    call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    with httpx.Client(base_url=server.url, timeout=20) as v1:
        # The caller's tool answered with text the policy blocks: it is the caller's data, not the person's message.
        answered = v1.post("/v1/chat/completions", headers=headers, json={"model": "standin", "tools": [tool], "messages": [
            {"role": "user", "content": "Look it up"}, {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a forbidden result"}]})
        assert answered.status_code == 200, answered.text
        assert answered.json()["choices"][0]["finish_reason"] == "stop"
        guard("flag", moderation_provider="openai", moderation_base_url=moderation_server.url, moderation_messages_replies=False)
        flagged = v1.post("/v1/chat/completions", headers=headers, json={"model": "standin", "messages": [{"role": "user", "content": "a forbidden plan"}]})
    assert flagged.status_code == 200 and flagged.json()["choices"][0]["message"]["content"] == "Hello from the stand-in."
    assert [request["body"]["input"] for request in moderation_server.requests] == [["a forbidden plan"]]
    [flag] = flags(database)
    assert (flag.action, flag.message_action, flag.reply_action, flag.reply) == ("flag", "flag", "", "Hello from the stand-in.")


def test_a_provider_that_cannot_answer_refuses_messages_when_the_policy_blocks_and_lets_them_through_when_it_flags(database, guard, model, chat):
    down = f"http://127.0.0.1:{free_port()}/v1"
    conversation = chat.start(make_gpt(database))
    guard("flag", "sexual/minors=block", moderation_provider="openai", moderation_base_url=down, moderation_timeout_seconds=2.0)
    response = send_refused(chat, conversation, "Hello")
    assert response.status_code == 503 and response.json()["error"]["code"] == "moderation_unavailable"
    assert response.headers["Retry-After"]
    assert model.requests == [] and chat.get(conversation)["messages"] == []
    guard("flag", moderation_provider="openai", moderation_base_url=down, moderation_timeout_seconds=2.0)
    assert sse_events_done(chat.send(conversation, "Hello"))["status"] == "complete"
    assert flags(database) == []


def test_the_editor_preview_refuses_a_blocked_message_with_the_notice(database, guard, model, make_browser):
    guard("block")
    builder = make_browser()
    builder.signup(email="builder@example.com", name="Builder")
    gpt_id = make_gpt(database)
    response = builder.post(f"/api/gpts/{gpt_id}/preview", json={"messages": [{"role": "user", "content": BOMB}]}, headers=builder.api_headers())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "content_policy_violation" and "illicit/violent" in response.json()["error"]["message"]
    assert model.requests == []
    [flag] = flags(database)
    assert (flag.source, flag.gpt_id, flag.conversation_id) == ("preview", gpt_id, None)


def test_the_page_without_javascript_shows_the_notice_next_to_the_composer(database, guard, model, chat):
    guard("block")
    conversation = chat.start(make_gpt(database))
    page = chat.browser.submit(f"/c/{conversation}", {"content": BOMB}, form_page=f"/c/{conversation}")
    assert page.status_code == 422 and "Your message was not sent" in page.text and "illicit/violent" in page.text
    with database.session() as session:
        assert session.scalars(select(Message).join(Conversation).where(Conversation.id == conversation)).all() == []
    assert len(flags(database)) == 1


def test_bad_guardrail_settings_stop_the_start_naming_the_setting_and_the_fix(tmp_path):
    with pytest.raises(ValidationError, match=r"AGORA_MODERATION_MESSAGES_CATEGORIES.*category=off\|flag\|block"):
        Settings(_env_file=None, moderation_messages_categories="harassment=blok")
    with pytest.raises(ValidationError, match="moderation_messages"):
        Settings(_env_file=None, moderation_messages="on")
    settings = Settings(_env_file=None, home=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}", secret_key="k" * 40,
                        moderation_messages_categories="harrassment=block")
    with pytest.raises(ValueError, match=r"AGORA_MODERATION_MESSAGES_CATEGORIES: unknown category 'harrassment'.*harassment"):
        create_app(settings)
    spaced = Settings(_env_file=None, moderation_messages_categories=" sexual/minors = block , harassment=flag,")
    assert spaced.moderation_messages_categories == "sexual/minors=block,harassment=flag"

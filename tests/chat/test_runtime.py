"""The runtime loop with a provider whose tokens come faster than the client is written to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agora.providers.base import Finished, TextDelta, Usage
from tests.chat.conftest import make_gpt

WORDS = ("One", " two", " three")


class Burst:
    """A plugin-shaped provider whose tokens all arrive at once, as for a stream whose worker fell behind."""

    name = "burst"

    def __init__(self) -> None:
        self.requests = []

    def models(self) -> list[str]:
        return ["burst"]

    def context_window(self, model: str) -> int:
        return 4096

    def count_tokens(self, messages, model: str) -> int:
        return sum(1 + len(str(m.get("content") or "").split()) for m in messages)

    async def stream(self, request):
        self.requests.append(request)
        for word in WORDS:  # no await between them: all queued before the client is written to
            yield TextDelta(word)
        yield Finished(Usage(5, len(WORDS)), "stop")

    async def aclose(self) -> None:
        pass


@pytest.fixture
def burst(server) -> Iterator[None]:
    server.app.state.chat_provider = Burst()
    yield
    server.app.state.chat_provider = None


def test_a_provider_that_never_waits_streams_every_token_and_stores_the_reply(chat, burst, database):
    conversation_id = chat.start(make_gpt(database))
    events = chat.send(conversation_id, "Count to three")
    assert "".join(data["text"] for name, data in events[:-1] if name == "delta") == "One two three"
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    assert chat.get(conversation_id)["messages"][-1]["content"] == "One two three"


def test_tokens_that_arrive_together_reach_the_client_as_one_delta(chat, upstream, database):
    """A worker that fell behind finds several of a stream's chunks in one read: they go out as one event, one write."""
    conversation_id = chat.start(make_gpt(database))
    upstream.next("burst")
    events = chat.send(conversation_id, "hello")
    assert events[:-1] == [("delta", {"text": "Hello from the stand-in."})]
    assert events[-1][1]["status"] == "complete" and chat.get(conversation_id)["messages"][-1]["content"] == "Hello from the stand-in."


def test_a_gpt_with_tools_answers_without_them_on_a_model_that_cannot_call_tools(chat, burst, server, database):
    conversation_id = chat.start(make_gpt(database, capabilities={"calculator": True}))
    events = chat.send(conversation_id, "What is 2 + 2?")
    assert events[-1][1]["status"] == "complete"
    [request] = server.app.state.chat_provider.requests
    assert request.tools is None and request.tool_choice is None  # the plugin says nothing of `supports_tools`

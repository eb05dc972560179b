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

    def models(self) -> list[str]:
        return ["burst"]

    def context_window(self, model: str) -> int:
        return 4096

    def count_tokens(self, messages, model: str) -> int:
        return sum(1 + len(str(m.get("content") or "").split()) for m in messages)

    async def stream(self, request):
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


def test_tokens_waiting_together_reach_the_client_as_one_delta(chat, burst, database):
    conversation_id = chat.start(make_gpt(database))
    events = chat.send(conversation_id, "Count to three")
    assert events[:-1] == [("delta", {"text": "One two three"})]
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    assert chat.get(conversation_id)["messages"][-1]["content"] == "One two three"

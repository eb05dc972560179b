"""Running a tool call: every call answered (results cut to size, failures and hangs explained), sources registered."""

from __future__ import annotations

import asyncio

from agora.gpts.content import GptContent
from agora.tools import registry
from agora.tools.base import ToolContext, ToolFailed, ToolOwner, ToolResult
from agora.tools.runner import run_call

CONTEXT = ToolContext(user_id=1, gpt_id="g-x", conversation_id="c1", language="en", timezone="Europe/Paris")


class Echo:
    """A plugin-shaped tool: what a knowledge or actions source would register."""

    name, description, consequential = "echo", "Repeats its text.", False
    parameters = {"type": "object", "properties": {"text": {"type": "string"}}}
    timeout_seconds, max_result_chars = 0.2, 10

    def title(self) -> str:
        return "Echo"

    async def run(self, arguments, context):
        if arguments.get("text") == "hang":
            await asyncio.sleep(10)
        if arguments.get("text") == "refuse":
            raise ToolFailed("no thanks")
        if arguments.get("text") == "crash":
            raise RuntimeError("a bug")
        return ToolResult(content=f"{arguments['text']} ({context.timezone})", summary=arguments["text"])


def call(arguments: str):
    return asyncio.run(run_call(Echo(), call_id="c", arguments=arguments, context=CONTEXT))


def test_a_result_is_cut_with_a_note_for_the_model():
    use = call('{"text": "hello"}')
    assert use.ok and use.summary == "hello"
    assert use.content.startswith("hello (Eur") and "only the first 10 are shown" in use.content


def test_every_way_a_call_can_go_wrong_is_answered():
    assert [(use.ok, use.content) for use in map(call, ['{"text": "refuse"}', "not json", "[1]"])] == [
        (False, "Error: no thanks"), (False, "Error: The arguments must be a JSON object, as the tool's parameters describe."),
        (False, "Error: The arguments must be a JSON object, as the tool's parameters describe.")]
    assert call('{"text": "hang"}').content == "Error: It did not answer within 0.2 seconds."
    assert call('{"text": "crash"}').content == "Error: It failed unexpectedly."


def test_a_registered_source_gives_its_tools_and_their_titles():
    def echoing(session, owner: ToolOwner):
        return [Echo()] if owner.content.capabilities.actions else []

    registry.register(echoing, tools=[Echo()])
    try:
        plain = GptContent(name="Plain")
        both = GptContent(name="Both", capabilities={"actions": True, "calculator": True})
        assert [t.name for t in registry.tools_for(None, ToolOwner("g-1", plain))] == []
        assert [t.name for t in registry.tools_for(None, ToolOwner("g-1", both))] == ["calculator", "echo"]
        assert (registry.title("echo"), registry.title("calculator"), registry.title("nobody")) == ("Echo", "Calculator", "nobody")
    finally:
        registry._sources.remove(echoing)
        registry._titles.pop("echo")

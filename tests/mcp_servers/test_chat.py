"""An MCP server's tools in the web chat, as the stand-in model calls them: a read-only tool runs at once and the chat shows it,
a consequential one waits for Allow (Deny: the server never hears of it); a tool's failure and a server that refuses are told
to the model and the person; only enabled tools are offered."""

from __future__ import annotations

from tests.chat.conftest import chat, make_gpt, sse_events, standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.mcp_servers.conftest import BUILDER, attach


def notebook_gpt(database, notebook, *, enabled: list[str] | None = None) -> str:
    gpt_id = make_gpt(database, owner_email=BUILDER)
    attach(database, gpt_id, notebook.url, enabled=enabled)
    return gpt_id


def test_a_read_only_tool_runs_between_two_model_calls_and_the_chat_shows_it(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook))
    notebook.notes.append("Buy oat milk on Friday")
    upstream.tool_calls = [("search_notes", '{"query": "milk"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "What did I note about milk?")
    tool = next(data for name, data in events if name == "tool")
    assert (tool["name"], tool["ok"], tool["summary"]) == ("search_notes", True, "Buy oat milk on Friday")
    assert tool["line"] == "Used search_notes: Buy oat milk on Friday"
    assert events[-1][1]["status"] == "complete"
    assert notebook.calls == [("search_notes", {"query": "milk"})]

    first, second = upstream.requests
    offered = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert set(offered) == {"search_notes", "add_note", "erase_notes", "broken"}
    assert offered["search_notes"]["description"] == "Finds the notes containing the query."
    assert offered["search_notes"]["parameters"]["properties"]["query"]["type"] == "string"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin0", "content": "Buy oat milk on Friday"}
    assert chat.get(conversation_id)["messages"][-1]["tool_uses"] == [{"name": "search_notes", "summary": "Buy oat milk on Friday", "ok": True, "sources": []}]


def test_only_enabled_tools_are_offered(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook, enabled=["search_notes"]))
    chat.send(conversation_id, "Hello")
    assert [t["function"]["name"] for t in upstream.requests[-1]["tools"]] == ["search_notes"]


def test_a_tools_failure_is_told_to_the_model_and_the_person(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook))
    upstream.tool_calls = [("broken", "{}")]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Try the broken one")
    tool = next(data for name, data in events if name == "tool")
    assert tool["ok"] is False and "the notebook is on fire" in tool["summary"]
    assert upstream.requests[1]["messages"][-1]["content"].startswith("Error: ") and "on fire" in upstream.requests[1]["messages"][-1]["content"]
    assert events[-1][1]["status"] == "complete"


def test_a_server_that_refuses_at_call_time_is_explained(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook))
    notebook.token = "now-it-needs-one"
    upstream.tool_calls = [("search_notes", '{"query": "milk"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Search")
    tool = next(data for name, data in events if name == "tool")
    assert tool["ok"] is False and "refused Agora (HTTP 401)" in tool["summary"]
    assert notebook.calls == []
    assert events[-1][1]["status"] == "complete"


def test_an_instance_wide_server_serves_the_gpts_that_use_it(chat, upstream, database, notebook):
    from agora.mcp_servers import service

    gpt_id = make_gpt(database, owner_email=BUILDER)
    server_id = attach(database, None, notebook.url, enabled=["search_notes"])
    conversation_id = chat.start(gpt_id)
    chat.send(conversation_id, "Hello")
    assert "tools" not in upstream.requests[-1]  # not switched on for this GPT
    with database.session() as session:
        service.use(session, gpt_id, service.find(session, server_id, gpt_id=None), True)
    chat.send(conversation_id, "Hello again")
    assert [t["function"]["name"] for t in upstream.requests[-1]["tools"]] == ["search_notes"]


def _confirm(chat, conversation_id: str, reply_id: int, allow: bool):
    with chat.stream(f"/api/conversations/{conversation_id}/messages/{reply_id}/confirm", {"allow": allow}) as response:
        assert response.status_code == 200, response.read()
        return sse_events(response)


def test_a_consequential_tool_waits_for_allow_then_runs_on_the_server(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook))
    upstream.tool_calls = [("search_notes", '{"query": "milk"}'), ("add_note", '{"text": "Buy oat milk"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Note that I need oat milk")
    assert [name for name, _ in events] == ["tool", "done"]  # the read-only search ran; the note waits
    done = events[-1][1]
    assert done["status"] == "waiting"
    assert done["confirm"] == [{"name": "add_note", "title": "Add a note", "server": "Notebook", "arguments": '{\n  "text": "Buy oat milk"\n}',
                                "can_always_allow": False}]
    assert notebook.calls == [("search_notes", {"query": "milk"})]
    page = chat.browser.get(f"/c/{conversation_id}").text
    assert "Notebook" in page and "tool-allow" in page and "Buy oat milk" in page

    resumed = _confirm(chat, conversation_id, done["id"], allow=True)
    assert resumed[0][1] == {"name": "add_note", "summary": "Added note 1: Buy oat milk", "ok": True, "line": "Used add_note: Added note 1: Buy oat milk"}
    assert resumed[-1][1]["status"] == "complete"
    assert notebook.calls[-1] == ("add_note", {"text": "Buy oat milk"}) and notebook.notes == ["Buy oat milk"]
    assert upstream.requests[-1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin1", "content": "Added note 1: Buy oat milk"}


def test_a_denied_consequential_tool_never_reaches_the_server(chat, upstream, database, notebook):
    conversation_id = chat.start(notebook_gpt(database, notebook))
    upstream.tool_calls = [("erase_notes", "{}")]  # readOnlyHint false, destructiveHint: asks like any consequential tool
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "Erase everything")[-1][1]
    assert done["status"] == "waiting" and done["confirm"][0]["server"] == "Notebook"
    resumed = _confirm(chat, conversation_id, done["id"], allow=False)
    assert resumed[0][1]["ok"] is False and resumed[-1][1]["status"] == "complete"
    assert notebook.calls == []

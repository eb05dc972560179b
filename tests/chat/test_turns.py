"""Regenerate, edit-and-resend, @-mention and sharing through the API."""

from __future__ import annotations

from tests.chat.conftest import make_gpt, sse_events


def test_regenerate_replaces_the_last_reply(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    first = chat.send(conversation_id, "question")[-1][1]
    with chat.stream(f"/api/conversations/{conversation_id}/regenerate") as response:
        events = sse_events(response)
    done = events[-1][1]
    assert done["status"] == "complete" and done["id"] != first["id"]
    messages = chat.get(conversation_id)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] and messages[1]["id"] == done["id"]
    assert [m["content"] for m in upstream.requests[-1]["messages"][1:]] == ["question"]


def test_regenerate_after_a_failure_retries(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("status:503")
    assert chat.send(conversation_id, "question")[-1][1]["status"] == "failed"
    regenerated = chat.browser.post(f"/api/conversations/{conversation_id}/regenerate", headers=chat.headers)
    assert "event: done" in regenerated.text and '"status": "complete"' in regenerated.text
    assert [m["status"] for m in chat.get(conversation_id)["messages"]] == ["complete", "complete"]


def test_nothing_to_regenerate_or_edit_yet(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    assert chat.browser.post(f"/api/conversations/{conversation_id}/regenerate", headers=chat.headers).status_code == 409
    edit = chat.browser.post(f"/api/conversations/{conversation_id}/edit", json={"content": "x"}, headers=chat.headers)
    assert edit.status_code == 409 and edit.json()["error"]["message"] == "There is no message to edit."


def test_edit_the_last_message_and_resend(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    chat.send(conversation_id, "first")
    chat.send(conversation_id, "second with a typo")
    edited = chat.browser.post(f"/api/conversations/{conversation_id}/edit", json={"content": "second, fixed"}, headers=chat.headers)
    assert edited.status_code == 200 and "event: done" in edited.text
    contents = [m["content"] for m in chat.get(conversation_id)["messages"]]
    assert contents == ["first", "Hello from the stand-in.", "second, fixed", "Hello from the stand-in."]
    assert [m["content"] for m in upstream.requests[-1]["messages"][1:]] == ["first", "Hello from the stand-in.", "second, fixed"]
    empty = chat.browser.post(f"/api/conversations/{conversation_id}/edit", json={"content": ""}, headers=chat.headers)
    assert empty.status_code == 422 and len(chat.get(conversation_id)["messages"]) == 4


def test_a_mentioned_gpt_answers_once_with_the_conversation_as_context(chat, upstream, database):
    home = make_gpt(database, name="Walrus Helper", instructions="You are the walrus expert.")
    guest = make_gpt(database, name="Penguin Pal", instructions="You are the penguin expert.")
    found = chat.browser.get("/api/mentions", params={"q": "peng"}).json()
    assert found == [{"id": guest, "name": "Penguin Pal"}]
    conversation_id = chat.start(home)
    chat.send(conversation_id, "hello walrus")
    chat.send(conversation_id, "@Penguin Pal what do you think?", mention=guest)
    mentioned = upstream.requests[-1]["messages"]
    assert "penguin expert" in mentioned[0]["content"] and "walrus expert" not in mentioned[0]["content"]
    assert [m["content"] for m in mentioned[1:]][0] == "hello walrus"  # the conversation so far
    chat.send(conversation_id, "and back to you")
    assert "walrus expert" in upstream.requests[-1]["messages"][0]["content"]
    replies = [m for m in chat.get(conversation_id)["messages"] if m["role"] == "assistant"]
    assert [r["gpt_id"] for r in replies] == [home, guest, home]


def test_share_a_snapshot_then_revoke_it(chat, upstream, database, make_browser):
    conversation_id = chat.start(make_gpt(database))
    chat.send(conversation_id, "shared question")
    url = chat.browser.post(f"/api/conversations/{conversation_id}/share", headers=chat.headers).json()["url"]
    chat.send(conversation_id, "later private question")
    stranger = make_browser()
    page = stranger.get(url)
    assert page.status_code == 200 and "shared question" in page.text and "later private question" not in page.text
    assert "purple walrus" not in page.text
    assert chat.browser.delete(f"/api/conversations/{conversation_id}/share", headers=chat.headers).status_code == 204
    assert stranger.get(url).status_code == 404


def test_nothing_to_share_in_an_empty_conversation(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    refused = chat.browser.post(f"/api/conversations/{conversation_id}/share", headers=chat.headers)
    assert refused.status_code == 422 and "nothing to share" in refused.json()["error"]["message"]

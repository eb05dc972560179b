"""OAuth 2 actions against a real authorization server on loopback (tests/actions/oauth_server.py): the builder's client
kept encrypted, a first call waiting for the person to sign in (state, PKCE S256), the reply carrying on with their token,
refresh, a revoked grant asking to sign in again, /v1 handing the call back, and disconnecting."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import openai
import pytest
from sqlalchemy import select, update

from agora.accounts import service as accounts
from agora.actions import service
from agora.actions.models import ActionSignIn, ActionToken, GptAction
from agora.db import utcnow
from tests.actions.oauth_server import CLIENT_ID, CLIENT_SECRET
from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401  (fixtures: the stand-in model server, /v1 ready)
from tests.chat.conftest import chat, make_gpt, sse_events  # noqa: F401  (the chat fixture)


def oauth_auth(notes, **extra) -> dict:
    return {"type": "oauth", "authorization_url": f"{notes.base_url}/authorize", "token_url": f"{notes.base_url}/token", "scope": "notes.read",
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **extra}


def oauth_gpt(database, server, notes, **extra) -> tuple[str, str]:
    """A public GPT of builder@example.com with the notes API as an OAuth action: its id and the action's."""
    gpt_id = make_gpt(database, name="Notes Helper", owner_email="builder@example.com")
    with database.session() as session:
        owner = accounts.user_by_email(session, "builder@example.com")
        action = service.create(session, owner, server.app.state.settings, gpt_id, service.Change(
            schema=notes.document(), auth=service.AuthIn(**oauth_auth(notes, **extra)), privacy_url="https://notes.example/privacy"))
        return gpt_id, action.id


def sign_in(browser, start: str, *, user: str = "ana", answer: str = "allow") -> httpx.Response:
    """Go through the provider as a person does, from the chat's "Sign in" link; Agora's answer to the callback."""
    started = browser.get(start)
    assert started.status_code == 303, started.text
    authorize = started.headers["location"]
    assert httpx.get(authorize).status_code == 200  # the provider's sign-in page
    back = httpx.post(authorize, data={"user": user, "answer": answer})
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return browser.get(f"{callback.path}?{callback.query}")


def confirm(chat, conversation_id: str, reply_id: int, allow: bool = True) -> list[tuple[str, dict]]:
    with chat.stream(f"/api/conversations/{conversation_id}/messages/{reply_id}/confirm", {"allow": allow}) as response:
        assert response.status_code == 200, response.read()
        return sse_events(response)


def test_the_builders_client_is_kept_encrypted_and_checked(browser, database, server, notes):
    browser.signup(email="builder@example.com")
    headers = browser.api_headers()
    gpt_id = make_gpt(database, owner_email="builder@example.com", visibility="private")
    created = browser.post(f"/api/gpts/{gpt_id}/actions", json={"schema": notes.document(), "auth": oauth_auth(notes, token_exchange="basic")},
                           headers=headers)
    assert created.status_code == 201, created.text
    auth = created.json()["auth"]
    assert auth["type"] == "oauth" and auth["key_set"] is True and auth["token_exchange"] == "basic" and auth["scope"] == "notes.read"
    assert auth["redirect_url"] == f"{server.url}/actions/oauth/callback"
    with database.session() as session:
        stored = session.scalar(select(GptAction))
        assert CLIENT_SECRET not in json.dumps([stored.auth, stored.secret_encrypted]) and CLIENT_ID not in stored.secret_encrypted
    path = f"/api/gpts/{gpt_id}/actions/{created.json()['id']}"
    kept = browser.patch(path, json={"auth": {**oauth_auth(notes), "client_id": None, "client_secret": None, "scope": "notes.read notes.write"}},
                         headers=headers)
    assert kept.status_code == 200 and kept.json()["auth"]["scope"] == "notes.read notes.write"  # the client stays when not given
    private = browser.patch(path, json={"auth": oauth_auth(notes, token_url="http://10.0.0.5/token")}, headers=headers)
    assert private.status_code == 422 and private.json()["error"]["field"] == "auth.token_url"  # the outbound guard, at once
    missing = browser.patch(path, json={"auth": {"type": "oauth", "token_url": f"{notes.base_url}/token"}}, headers=headers)
    assert missing.status_code == 200  # the stored addresses and client stay
    nothing = browser.post(f"/api/gpts/{gpt_id}/actions", json={"schema": notes.document().replace("listNotes", "listNotes2"),
                                                                "auth": {"type": "oauth", "authorization_url": f"{notes.base_url}/authorize",
                                                                         "token_url": f"{notes.base_url}/token"}}, headers=headers)
    assert (nothing.status_code, nothing.json()["error"]["field"]) == (422, "auth.client_id")
    tested = browser.post(f"{path}/test", json={"operation_id": "listNotes"}, headers=headers)  # the editor has not signed in
    assert tested.status_code == 409 and tested.json()["error"]["sign_in_url"] == f"/actions/{created.json()['id']}/sign-in"


def test_a_first_call_waits_for_sign_in_and_the_reply_carries_on_with_the_persons_token(chat, upstream, database, server, notes):
    gpt_id, action_id = oauth_gpt(database, server, notes)
    conversation_id = chat.start(gpt_id)
    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "What are my notes?")[-1][1]
    assert done["status"] == "waiting"
    [asked] = done["confirm"]
    assert asked["sign_in"] == {"url": f"/actions/{action_id}/sign-in", "host": "127.0.0.1"} and asked["consequential"] is False
    assert notes.store.api_tokens == []  # nothing was called
    page = chat.browser.get(f"/c/{conversation_id}").text
    assert "Sign in to 127.0.0.1</a>" in page and "tool-allow" not in page

    back = f"/c/{conversation_id}?resume={done['id']}"
    finished = sign_in(chat.browser, f"{asked['sign_in']['url']}?next={back}")
    assert finished.status_code == 303 and finished.headers["location"] == back
    [query] = notes.store.authorize_queries
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32 and query["scope"] == "notes.read"
    assert query["redirect_uri"] == f"{server.url}/actions/oauth/callback"
    [exchange] = notes.store.token_forms
    assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43 and notes.store.token_auth == ["post"]
    with database.session() as session:
        token = session.scalar(select(ActionToken))
        issued = notes.store.tokens[-1]
        assert issued.access_token not in token.access_encrypted and issued.refresh_token not in (token.refresh_encrypted or "")
        assert session.scalar(select(ActionSignIn)) is None  # the sign-in is used once
    resumed_page = chat.browser.get(back).text
    assert 'data-resume="allow"' in resumed_page and "Sign in to 127.0.0.1</a>" not in resumed_page  # chat.js carries on at once

    resumed = confirm(chat, conversation_id, done["id"])
    assert resumed[0][1]["ok"] is True and resumed[-1][1]["status"] == "complete"
    assert notes.store.api_tokens == [issued.access_token]
    result = [m for m in upstream.requests[-1]["messages"] if m["role"] == "tool"][-1]["content"]
    assert "Buy oat milk" in result and '"user":"ana"' in result

    upstream.tool_calls = [("listNotes", "{}")]  # signed in: the next call runs at once
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Again")
    assert events[-1][1]["status"] == "complete" and events[0][1]["ok"] is True and len(notes.store.api_tokens) == 2

    replayed = chat.browser.get(f"/actions/oauth/callback?state={query['state']}&code=whatever")  # a callback is answered once
    assert replayed.status_code == 400 and "expired" in replayed.text


def test_an_expired_token_is_refreshed_and_a_revoked_grant_asks_to_sign_in_again(chat, upstream, database, server, notes):
    gpt_id, action_id = oauth_gpt(database, server, notes, token_exchange="basic")
    notes.configure(redirect_uri=f"{server.settings.resolved_public_url()}/actions/oauth/callback", auth_method="client_secret_basic")
    conversation_id = chat.start(gpt_id)
    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "My notes")[-1][1]
    assert sign_in(chat.browser, f"/actions/{action_id}/sign-in?next=/").status_code == 303
    assert notes.store.token_auth == ["basic"]  # the builder's token exchange method
    confirm(chat, conversation_id, done["id"])
    first = notes.store.tokens[-1]

    with database.session() as session:  # the access token lapses
        session.execute(update(ActionToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Again")
    assert events[-1][1]["status"] == "complete" and events[0][1]["ok"] is True  # refreshed, not asked
    assert notes.store.token_forms[-1] == {"grant_type": "refresh_token", "refresh_token": first.refresh_token}
    assert notes.store.api_tokens[-1] == notes.store.tokens[-1].access_token != first.access_token

    notes.revoke("ana")  # the person revoked Agora at the provider
    with database.session() as session:
        session.execute(update(ActionToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    done = chat.send(conversation_id, "Once more")[-1][1]
    assert done["status"] == "waiting" and done["confirm"][0]["sign_in"]["host"] == "127.0.0.1"
    with database.session() as session:
        assert session.scalar(select(ActionToken)) is None  # the refused tokens are forgotten


@pytest.mark.parametrize("connected", [False, True])
def test_v1_hands_a_call_needing_sign_in_back_and_runs_it_once_connected(chat, upstream, database, server, notes, connected):
    gpt_id, action_id = oauth_gpt(database, server, notes)
    if connected:  # signed in on the web first
        assert sign_in(chat.browser, f"/actions/{action_id}/sign-in?next=/").status_code == 303
    upstream.tool_calls = [("listNotes", "{}")]
    upstream.next("tool_calls", "ok")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database, "ada@example.com"), max_retries=0, timeout=20) as client:
        choice = client.chat.completions.create(model=gpt_id, messages=[{"role": "user", "content": "My notes"}]).choices[0]
    if connected:
        assert choice.finish_reason == "stop" and len(notes.store.api_tokens) == 1
    else:
        assert choice.finish_reason == "tool_calls" and choice.message.tool_calls[0].function.name == "listNotes"
        assert notes.store.api_tokens == []


def test_disconnecting_and_refused_sign_ins(chat, make_browser, database, server, notes):
    gpt_id, action_id = oauth_gpt(database, server, notes)
    denied = sign_in(chat.browser, f"/actions/{action_id}/sign-in?next=/", answer="deny")
    assert denied.status_code == 400 and "access_denied" in denied.text
    assert sign_in(chat.browser, f"/actions/{action_id}/sign-in?next=https://elsewhere.example/").headers["location"] == "/"
    headers = chat.headers
    listed = chat.browser.get("/api/action-connections").json()
    assert [(c["action_id"], c["gpt_id"], c["title"], c["host"]) for c in listed] == [(action_id, gpt_id, "Notes", "127.0.0.1")]
    assert chat.browser.delete(f"/api/action-connections/{action_id}", headers=headers).status_code == 204
    assert chat.browser.delete(f"/api/action-connections/{action_id}", headers=headers).status_code == 404
    assert chat.browser.get("/api/action-connections").json() == []

    other = chat.browser.get(f"/actions/{action_id}/sign-in?next=/")  # started by Ada, finished by someone else
    state = parse_qs(urlsplit(other.headers["location"]).query)["state"][0]
    bob = make_browser()
    bob.signup(email="bob@example.com", name="Bob")
    stolen = bob.get(f"/actions/oauth/callback?state={state}&code=x")
    assert stolen.status_code == 400
    with database.session() as session:
        assert session.scalar(select(ActionToken)) is None

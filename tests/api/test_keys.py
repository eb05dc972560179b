"""API keys: made on the account page or with `agora api-key create`, stored hashed, shown once,
revocable, and accepted by the JSON API within their scopes."""

from __future__ import annotations

import re

import openai
import pytest

from agora.accounts import api_keys
from agora.accounts.models import ApiKey
from tests.api.conftest import make_gpt, make_key
from tests.conftest import flush_usage
from tests.test_cli import cli_env, run  # noqa: F401  (cli_env is a fixture)


def keys_in_db(database) -> list[ApiKey]:
    flush_usage(database)  # /v1 records a key's last use in its batched writer
    with database.session() as session:
        return list(session.query(ApiKey).order_by(ApiKey.id))


def test_keys_are_stored_hashed_and_checked_whole(database):
    raw = make_key(database)
    assert re.fullmatch(r"agora-sk-[0-9a-f]{12}_[A-Za-z0-9_-]{43}", raw)
    [stored] = keys_in_db(database)
    assert raw.split("_", 1)[1] not in (stored.secret_hash, stored.public_id) and len(stored.secret_hash) == 64
    with database.session() as session:
        holder = api_keys.authenticate(session, raw)
        assert holder.user.email == "dev@example.com" and holder.scopes == set(api_keys.SCOPES)
        for forged in (raw[:-1] + ("A" if raw[-1] != "A" else "B"), raw + "x", raw.replace("agora-sk-", "agora-sk-0"), "agora-sk-", raw.split("_")[0]):
            with pytest.raises(api_keys.KeyRefused):
                api_keys.authenticate(session, forged)


def test_the_account_page_creates_shows_once_lists_and_revokes(upstream, server, browser, database):
    browser.signup(email="page@example.com")
    assert 'href="/account/api-keys"' in browser.get("/account").text
    page = browser.get("/account/api-keys")
    assert page.status_code == 200 and "You have no API keys yet." in page.text

    created = browser.submit("/account/api-keys", {"name": "  laptop  ", "scopes": ["models:read", "chat"], "expires": "30"})
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    raw = re.search(r'data-testid="new-key">(agora-sk-[^<]+)<', created.text).group(1)
    assert "it will not be shown again" in created.text
    listing = browser.get("/account/api-keys").text
    assert raw not in listing and api_keys.display_prefix(keys_in_db(database)[0]) in listing and "laptop" in listing
    [stored] = keys_in_db(database)
    assert (stored.name, stored.scopes, stored.expires_at is not None) == ("laptop", "models:read chat", True)

    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=raw, max_retries=0) as sdk:
        assert sdk.chat.completions.create(model="standin", messages=[{"role": "user", "content": "hi"}]).choices
        assert keys_in_db(database)[0].last_used_at is not None
        revoked = browser.submit(f"/account/api-keys/{stored.id}/revoke", {}, form_page="/account/api-keys")
        assert revoked.status_code == 303
        assert "Revoked" in browser.get(revoked.headers["location"]).text
        with pytest.raises(openai.AuthenticationError):
            sdk.models.list()


def test_the_page_refuses_bad_input_and_other_peoples_keys(server, browser, make_browser, database):
    browser.signup(email="page@example.com")
    refused = browser.submit("/account/api-keys", {"name": "", "scopes": ["chat"]})
    assert refused.status_code == 422 and "Give the key a name" in refused.text
    refused = browser.submit("/account/api-keys", {"name": "x", "scopes": []})
    assert refused.status_code == 422 and "at least one scope" in refused.text
    other_key = make_key(database, "other@example.com")
    other_id = keys_in_db(database)[0].id
    refused = browser.submit(f"/account/api-keys/{other_id}/revoke", {}, form_page="/account/api-keys")
    assert refused.status_code == 404 and keys_in_db(database)[0].revoked_at is None
    assert other_key  # still valid
    forged = make_browser().post("/account/api-keys", data={"name": "no csrf", "scopes": "chat"})
    assert forged.status_code == 403
    assert make_browser().get("/account/api-keys").headers["location"] == "/login?next=/account/api-keys"


def test_cli_creates_a_key_and_prints_it_once(cli_env, database, server):  # noqa: F811
    make_key(database, "cli@example.com")  # makes the account
    created = run("api-key", "create", "--email", "cli@example.com", "--name", "deploy bot", env=cli_env)
    assert created.returncode == 0, created.stderr
    raw = created.stdout.strip()
    assert raw.startswith("agora-sk-")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=raw, max_retries=0) as sdk:
        sdk.models.list()
    assert keys_in_db(database)[-1].name == "deploy bot"
    limited = run("api-key", "create", "--email", "cli@example.com", "--scope", "chat", "--expires-days", "7", env=cli_env)
    assert limited.returncode == 0 and keys_in_db(database)[-1].scopes == "chat"
    missing = run("api-key", "create", "--email", "nobody@example.com", env=cli_env)
    assert missing.returncode == 2 and "no account has the email nobody@example.com" in missing.stderr
    assert "api-key" in run("--help").stdout


def test_the_json_api_accepts_keys_within_their_scopes(upstream, server, make_browser, database):
    gpt = make_gpt(database, owner_email="dev@example.com")
    full, reader = make_key(database), make_key(database, scopes=["models:read"])
    api = make_browser()
    me = api.get("/api/me", headers={"Authorization": f"Bearer {full}"})
    assert me.status_code == 200 and me.json()["email"] == "dev@example.com"
    # A key needs no CSRF token: it is no ambient credential a page could ride on.
    started = api.post("/api/conversations", json={"gpt_id": gpt}, headers={"Authorization": f"Bearer {full}"})
    assert started.status_code == 201, started.text
    refused = api.post("/api/conversations", json={"gpt_id": gpt}, headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert api.get("/api/me", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    # Account security stays behind a login.
    takeover = api.post("/api/me/password", json={"current_password": "x", "new_password": "y" * 12}, headers={"Authorization": f"Bearer {full}"})
    assert takeover.status_code == 403
    bad = api.get("/api/me", headers={"Authorization": "Bearer agora-sk-nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    # Another scheme (a proxy's Basic auth) is not a key: the session cookie still counts.
    page = make_browser()
    page.signup(email="browser@example.com")
    me = page.get("/api/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert me.status_code == 200 and me.json()["email"] == "browser@example.com"

"""A deactivated account (its organisation turned it off, e.g. by SCIM) signs in nowhere: its sessions
end, its password and its API keys are refused, on the JSON API and /v1; turned on again, its keys work."""

from __future__ import annotations

import openai
import pytest

from agora.accounts import service as accounts
from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401 (fixtures)


def _set(database, email: str, *, active: bool) -> int:
    with database.session() as session:
        user = accounts.user_by_email(session, email)
        if active:
            accounts.reactivate(user)
            return 0
        return accounts.deactivate(session, user)


def test_deactivation_ends_sessions_and_refuses_password_and_keys(upstream, server, make_browser, database):
    phone, laptop = make_browser(), make_browser()
    assert phone.signup(email="bo@example.com").status_code == 303
    assert laptop.login("bo@example.com").status_code == 303
    key = make_key(database, "bo@example.com")
    client = openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)
    assert client.models.list().data  # works, and /v1 now remembers the key

    assert _set(database, "bo@example.com", active=False) == 2  # both browsers signed out
    for browser in (phone, laptop):
        assert browser.get("/api/me").status_code == 401
    refused = make_browser().login("bo@example.com")
    assert refused.status_code == 403 and "deactivated by its organisation" in refused.text
    assert make_browser().get("/api/me", headers={"Authorization": f"Bearer {key}"}).json()["error"]["code"] == "invalid_api_key"
    server.app.state.caches.api_callers.clear()  # as after the few seconds /v1 remembers a key (agora.api.openai.callers)
    with pytest.raises(openai.AuthenticationError, match="deactivated by its organisation"):
        client.models.list()

    _set(database, "bo@example.com", active=True)
    assert client.models.list().data
    assert make_browser().login("bo@example.com").status_code == 303

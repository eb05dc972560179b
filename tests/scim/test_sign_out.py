"""A SCIM deactivation signs the person out of every browser at once, stops their API keys on the JSON API
and /v1, and keeps single sign-on from signing them in again, until they are turned on again."""

from __future__ import annotations

import openai
import pytest
from scim2_models import PatchOp

from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401 (fixtures)
from tests.scim.test_users import UserResource, person
from tests.sso.idp import sign_in


def test_deactivation_signs_out_and_stops_keys_and_single_sign_on(provisioned, idp, upstream, server, make_browser, database):
    idp.set_user("bo-1", email="bo@acme.example.com")
    created = provisioned.client.create(person())
    laptop, phone = make_browser(), make_browser()
    for browser in (laptop, phone):
        assert sign_in(browser, "acme", "bo-1").status_code == 303
        assert browser.get("/api/me").status_code == 200
    key = make_key(database, "bo@acme.example.com")
    api = openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0)
    assert api.models.list().data

    off = PatchOp[UserResource].model_validate({"Operations": [{"op": "replace", "path": "active", "value": False}]})
    provisioned.client.modify(UserResource, created.id, off)
    for browser in (laptop, phone):
        assert browser.get("/api/me").status_code == 401  # at once: the sessions are gone
    assert make_browser().get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    server.app.state.caches.api_callers.clear()  # /v1 remembers a key for 5 s, well within the minute promised
    with pytest.raises(openai.AuthenticationError):
        api.models.list()
    refused = sign_in(make_browser(), "acme", "bo-1")
    assert refused.status_code == 403 and "deactivated" in refused.text

    on = PatchOp[UserResource].model_validate({"Operations": [{"op": "replace", "path": "active", "value": True}]})
    provisioned.client.modify(UserResource, created.id, on)
    assert sign_in(make_browser(), "acme", "bo-1").status_code == 303
    assert api.models.list().data

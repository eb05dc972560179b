"""The actions JSON API: an action added from a document (text, object or URL), validated with pointers, its operations
enabled, its key kept encrypted, and the Test button's call made through the guard with the action's auth."""

from __future__ import annotations

import json

from sqlalchemy import select

from agora.actions.models import GptAction
from tests.actions.trails_api import DOCUMENT
from tests.chat.conftest import make_gpt


def _set(auth: dict) -> dict:
    """The auth's fields that apply (those of the other types are null)."""
    return {key: value for key, value in auth.items() if value is not None}


def _editor(browser, database) -> tuple[str, dict]:
    browser.signup(email="builder@example.com")
    return make_gpt(database, owner_email="builder@example.com", visibility="private"), browser.api_headers()


def test_an_action_from_yaml_text_with_an_api_key_lists_its_operations(browser, database, trails):
    gpt, headers = _editor(browser, database)
    body = {"schema": trails.document(), "auth": {"type": "api_key", "key": "sk-trails-123", "in": "header", "scheme": "custom", "name": "X-Api-Key"}}
    created = browser.post(f"/api/gpts/{gpt}/actions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    action = created.json()
    assert [(o["operation_id"], o["method"], o["path"], o["consequential"]) for o in action["operations"][:2]] == [
        ("listTrails", "GET", "/trails", False), ("bookTrail", "POST", "/bookings", True)]
    assert _set(action["auth"]) == {"type": "api_key", "in": "header", "name": "X-Api-Key", "scheme": "custom", "key_set": True}
    with database.session() as session:
        stored = session.scalar(select(GptAction))
        assert "sk-trails-123" not in json.dumps([stored.auth, stored.secret_encrypted, stored.document])  # encrypted, never in clear

    tested = browser.post(f"/api/gpts/{gpt}/actions/{action['id']}/test", json={"operation_id": "listTrails", "arguments": {"near": "Grenoble"}},
                          headers=headers)
    assert tested.status_code == 200, tested.text
    assert tested.json() == {"status": 200, "body": {"trails": [{"name": "Ridge loop near Grenoble", "km": 7}]}, "cut": False}
    [seen] = trails.requests
    assert seen["query"] == {"near": ["Grenoble"]} and seen["headers"]["X-Api-Key"] == "sk-trails-123"

    listed = browser.get(f"/api/gpts/{gpt}/actions").json()
    assert [a["id"] for a in listed] == [action["id"]] and "sk-trails" not in json.dumps(listed)


def test_an_action_by_url_and_enabling_operations(browser, database, trails):
    gpt, headers = _editor(browser, database)
    created = browser.post(f"/api/gpts/{gpt}/actions", json={"url": f"{trails.base_url}/openapi.yaml", "enabled": ["listTrails"]}, headers=headers)
    assert created.status_code == 201, created.text
    action = created.json()
    assert {o["operation_id"]: o["enabled"] for o in action["operations"]}["bookTrail"] is False
    changed = browser.patch(f"/api/gpts/{gpt}/actions/{action['id']}", json={"enabled": ["listTrails", "bookTrail"], "privacy_url": "https://trails.example/privacy"},
                            headers=headers)
    assert changed.status_code == 200, changed.text
    assert [o["enabled"] for o in changed.json()["operations"][:2]] == [True, True] and changed.json()["privacy_url"] == "https://trails.example/privacy"
    refused = browser.patch(f"/api/gpts/{gpt}/actions/{action['id']}", json={"enabled": ["nope"]}, headers=headers)
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "enabled")
    assert browser.delete(f"/api/gpts/{gpt}/actions/{action['id']}", headers=headers).status_code == 204
    assert browser.get(f"/api/gpts/{gpt}/actions").json() == []


def test_a_bad_document_is_refused_with_a_pointer_and_nothing_stored(browser, database, trails):
    gpt, headers = _editor(browser, database)
    bad = DOCUMENT.format(base=trails.base_url).replace("operationId: bookTrail", "operationId: listTrails")
    refused = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": bad}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "/paths/~1bookings/post/operationId"
    taken = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": {**json.loads(json.dumps(_calculator_doc(trails.base_url)))}}, headers=headers)
    assert taken.status_code == 422 and "calculator" in taken.json()["error"]["message"]
    assert browser.get(f"/api/gpts/{gpt}/actions").json() == []


def _calculator_doc(base: str) -> dict:
    return {"openapi": "3.0.3", "info": {"title": "C", "version": "1"}, "servers": [{"url": base}],
            "paths": {"/c": {"get": {"operationId": "calculator", "responses": {"200": {"description": "ok"}}}}}}


def test_the_test_call_says_why_it_was_not_made(browser, database, trails):
    gpt, headers = _editor(browser, database)
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document()}, headers=headers).json()
    test = f"/api/gpts/{gpt}/actions/{action['id']}/test"
    missing = browser.post(test, json={"operation_id": "listTrails", "arguments": {}}, headers=headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "invalid_arguments")
    picture = browser.post(test, json={"operation_id": "picture", "arguments": {}}, headers=headers)
    assert (picture.status_code, picture.json()["error"]["code"]) == (502, "unsupported_type")
    big = browser.post(test, json={"operation_id": "bigAnswer", "arguments": {}}, headers=headers).json()
    assert big["cut"] is True and len(big["body"]) == 100_000
    booked = browser.post(test, json={"operation_id": "bookTrail", "arguments": {"requestBody": {"trail": "Ridge", "people": 2}}}, headers=headers)
    assert booked.json() == {"status": 201, "body": {"booking": "B-1", "trail": "Ridge"}, "cut": False}
    assert json.loads(trails.requests[-1]["body"]) == {"trail": "Ridge", "people": 2}


def test_another_user_cannot_see_or_test_the_actions(browser, make_browser, database, trails):
    gpt, headers = _editor(browser, database)
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document()}, headers=headers).json()
    other = make_browser()
    other.signup(email="eve@example.com")
    eve = other.api_headers()
    assert other.get(f"/api/gpts/{gpt}/actions").status_code == 404
    tried = other.post(f"/api/gpts/{gpt}/actions/{action['id']}/test", json={"operation_id": "listTrails", "arguments": {"near": "x"}}, headers=eve)
    assert tried.status_code == 404 and trails.requests == []


def test_the_outbound_guard_refuses_loopback_unless_the_operator_allows_it(browser, database, trails, server):
    gpt, headers = _editor(browser, database)
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document()}, headers=headers).json()
    allowed = server.app.state.settings
    server.app.state.settings = allowed.model_copy(update={"outbound_allow_hosts": ""})
    try:
        refused = browser.post(f"/api/gpts/{gpt}/actions/{action['id']}/test", json={"operation_id": "listTrails", "arguments": {"near": "x"}},
                               headers=headers)
        by_url = browser.post(f"/api/gpts/{gpt}/actions", json={"url": f"{trails.base_url}/openapi.yaml"}, headers=headers)
    finally:
        server.app.state.settings = allowed
    assert refused.status_code == 422 and refused.json()["error"]["code"].startswith("outbound_")
    assert (by_url.status_code, by_url.json()["error"]["field"]) == (422, "url")
    assert trails.requests == []  # nothing reached the API


def test_a_gpt_with_actions_is_listed_in_the_store_only_with_their_privacy_policy(browser, database, trails):
    gpt, headers = _editor(browser, database)
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document()}, headers=headers).json()
    refused = browser.patch(f"/api/gpts/{gpt}", json={"visibility": "public"}, headers=headers)
    assert (refused.status_code, refused.json()["error"]["field"], refused.json()["error"]["code"]) == (422, "visibility", "privacy_policy_missing")
    assert browser.patch(f"/api/gpts/{gpt}/actions/{action['id']}", json={"privacy_url": "https://trails.example/privacy"},
                         headers=headers).status_code == 200
    assert browser.patch(f"/api/gpts/{gpt}", json={"visibility": "public"}, headers=headers).status_code == 200
    cleared = browser.patch(f"/api/gpts/{gpt}/actions/{action['id']}", json={"privacy_url": ""}, headers=headers)
    assert (cleared.status_code, cleared.json()["error"]["field"]) == (422, "privacy_url")  # a listed GPT keeps it
    added = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": _calculator_doc(trails.base_url) | {"paths": {"/d": {"get": {
        "operationId": "other", "responses": {"200": {"description": "ok"}}}}}}}, headers=headers)
    assert (added.status_code, added.json()["error"]["field"]) == (422, "privacy_url")


def test_an_api_that_keeps_failing_is_left_alone_for_a_while(browser, database, trails):
    gpt, headers = _editor(browser, database)
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document()}, headers=headers).json()
    test = f"/api/gpts/{gpt}/actions/{action['id']}/test"
    answers = [browser.post(test, json={"operation_id": "failing", "arguments": {}}, headers=headers) for _ in range(4)]
    assert [a.json().get("status") for a in answers[:3]] == [500, 500, 500]  # the API's own answers, shown as they are
    assert (answers[3].status_code, answers[3].json()["error"]["code"]) == (503, "backing_off")
    assert len(trails.requests) == 3  # the fourth call was never made
    listed = browser.post(test, json={"operation_id": "listTrails", "arguments": {"near": "x"}}, headers=headers)
    assert listed.status_code == 503  # the whole API waits, not only the operation that failed


def test_the_auth_changes_and_an_empty_key_keeps_the_stored_one(browser, database, trails):
    gpt, headers = _editor(browser, database)
    auth = {"type": "api_key", "key": "first", "in": "header", "scheme": "bearer"}
    action = browser.post(f"/api/gpts/{gpt}/actions", json={"schema": trails.document(), "auth": auth}, headers=headers).json()
    path, test = f"/api/gpts/{gpt}/actions/{action['id']}", {"operation_id": "listTrails", "arguments": {"near": "x"}}
    moved = browser.patch(path, json={"auth": {"type": "api_key", "in": "query", "name": "token"}}, headers=headers)  # no key: kept
    assert moved.status_code == 200 and _set(moved.json()["auth"]) == {"type": "api_key", "in": "query", "name": "token", "scheme": "custom", "key_set": True}
    browser.post(f"{path}/test", json=test, headers=headers)
    assert trails.requests[-1]["query"]["token"] == ["first"] and "Authorization" not in trails.requests[-1]["headers"]
    assert browser.patch(path, json={"auth": {"type": "api_key", "key": "second", "scheme": "basic"}}, headers=headers).status_code == 200
    browser.post(f"{path}/test", json=test, headers=headers)
    assert trails.requests[-1]["headers"]["Authorization"] == "Basic second"
    none = browser.patch(path, json={"auth": {"type": "none"}}, headers=headers).json()
    assert none["auth"]["type"] == "none" and none["auth"]["key_set"] is False
    oauth = browser.patch(path, json={"auth": {"type": "oauth"}}, headers=headers)
    assert (oauth.status_code, oauth.json()["error"]["field"]) == (422, "auth.authorization_url")  # OAuth needs its provider

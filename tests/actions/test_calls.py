"""Building an action's request from the model's arguments, and the backoff's clock."""

from __future__ import annotations

import pytest

from agora.actions import calls
from agora.actions.openapi import Operation


def _operation(**changes) -> Operation:
    base = {"operation_id": "find", "method": "GET", "path": "/items/{id}", "server": "https://api.example.com/v1", "description": "",
            "consequential": False, "parameters": [{"name": "id", "in": "path", "required": True, "schema": {}, "description": ""},
                                                   {"name": "tag", "in": "query", "required": False, "schema": {}, "description": ""}],
            "body": None, "body_required": False}
    return Operation(**{**base, **changes})


def test_path_query_and_key_placement():
    request = calls.build(_operation(), {"id": "a/b c", "tag": ["x", True]}, calls.Auth("api_key", "query", "api_key", "custom", "k1"))
    assert str(request.url) == "https://api.example.com/v1/items/a%2Fb%20c?tag=x&tag=true&api_key=k1"
    bearer = calls.build(_operation(), {"id": "1"}, calls.Auth("api_key", "header", "Authorization", "bearer", "k2"))
    assert bearer.headers["Authorization"] == "Bearer k2" and "tag" not in str(bearer.url)


def test_bad_arguments_are_refused_before_anything_is_sent():
    with pytest.raises(calls.CallRefused, match="Unknown argument"):
        calls.build(_operation(), {"id": "1", "colour": "red"}, calls.Auth())
    with pytest.raises(calls.CallRefused, match="required"):
        calls.build(_operation(), {}, calls.Auth())
    big = _operation(method="POST", body={"type": "object"}, body_required=True)
    with pytest.raises(calls.CallRefused, match="longer than"):
        calls.build(big, {"id": "1", "requestBody": {"text": "x" * calls.MAX_BODY_CHARS}}, calls.Auth())


def test_the_backoff_doubles_and_a_success_resets_it(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(calls.time, "monotonic", lambda: now[0])
    backoff = calls.Backoff()
    for _ in range(calls.FAILURES_BEFORE_BACKOFF - 1):
        backoff.failed("a")
    backoff.check("a")  # two failures: still called
    backoff.failed("a")
    with pytest.raises(calls.CallRefused) as waiting:
        backoff.check("a")
    assert waiting.value.code == "backing_off"
    now[0] += calls.FIRST_BACKOFF_SECONDS + 1
    backoff.check("a")
    backoff.failed("a")  # a fourth failure: twice as long
    now[0] += calls.FIRST_BACKOFF_SECONDS + 1
    with pytest.raises(calls.CallRefused):
        backoff.check("a")
    backoff.succeeded("a")
    backoff.check("a")
    backoff.check("b")  # each API on its own

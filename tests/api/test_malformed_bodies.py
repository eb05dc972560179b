"""/v1 refuses malformed bodies with a 400 in OpenAI's shape naming the parameter, never a 5xx, and meters nothing."""

from __future__ import annotations

import httpx

from tests.api.conftest import make_key, usage_records
from tests.test_inputs import DEPTH, nested


def test_v1_refuses_a_body_nested_1000_deep_in_openais_shape(upstream, server, database):
    key = make_key(database)
    body = b'{"model": "standin", "messages": [{"role": "user", "content": "hi"}], "tool_choice": ' + nested(DEPTH) + b"}"
    response = httpx.post(f"{server.url}/v1/chat/completions", content=body,
                          headers={"Authorization": f"Bearer {key}", "content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "invalid_json", "body")
    assert "nested too deeply" in error["message"]
    assert upstream.requests == [] and usage_records(database) == []

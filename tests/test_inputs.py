"""Malformed input is refused where it enters, naming the field, with nothing written (agora.inputs)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from agora.errors import InvalidInput
from agora.inputs import parse_json
from agora.models import Base

DEPTH = 1_000


def nested(depth: int) -> bytes:
    return b'{"x": ' + b"[" * depth + b"]" * depth + b"}"


def row_counts(database) -> dict[str, int]:
    with database.session() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def json_operations(client: httpx.Client) -> list[tuple[str, str]]:
    """(method, path) of every operation of the JSON API that takes a JSON body, its path parameters filled in."""
    schema = client.get("/api/openapi.json").json()
    return sorted(
        (method.upper(), path.replace("{", "").replace("}", ""))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def test_parse_json_refuses_what_the_databases_or_the_stack_cannot_take():
    assert parse_json(b"[" * 100 + b"]" * 100) is not None  # deep, but within reason
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}  # a byte order mark, as some editors write
    for raw, words in [
        (b"[" * DEPTH + b"]" * DEPTH, "nested too deeply"),
        (b'{"a": NaN}', "line 1"),
        (b'{"a": "\\ud800"}', "line 1"),
        (b'{"a": 1} trailing', "trailing"),
        (b"", "EOF"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            parse_json(raw, field="/")
        assert refused.value.field == "/" and refused.value.code == "invalid_json"
        assert "not valid JSON" in refused.value.message and words in refused.value.message, refused.value.message


def test_a_body_nested_1000_deep_is_refused_by_every_json_operation(make_browser, database):
    ada = make_browser()
    ada.signup()
    headers = {**ada.api_headers(), "content-type": "application/json"}
    operations = json_operations(ada)
    assert ("POST", "/api/gpts") in operations and ("POST", "/api/conversations") in operations
    before = row_counts(database)
    for method, path in operations:
        response = ada.request(method, path, content=nested(DEPTH), headers=headers)
        assert response.status_code == 422, (method, path, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_json", "body"), (method, path, error)
        assert "nested too deeply" in error["message"], error
    assert row_counts(database) == before


def test_an_import_nested_1000_deep_is_refused(make_browser, database):
    ada = make_browser()
    ada.signup()
    before = row_counts(database)
    document = b'{"format": "agora.gpt", "format_version": 1, "gpt": ' + nested(DEPTH) + b"}"
    response = ada.post("/api/gpts/import", content=document, headers={**ada.api_headers(), "content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_json", "/") and "nested too deeply" in error["message"]
    assert row_counts(database) == before


"""Malformed input is refused where it enters, naming the field, with nothing written (agora.inputs)."""

from __future__ import annotations

import copy
import re
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

import httpx
import pytest
from annotated_types import Le
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from agora.app import ROUTERS
from agora.billing import webhook_routes
from agora.errors import InvalidInput
from agora.inputs import MAX_ID, parse_json, storable
from agora.models import Base

DEPTH = 1_000
JSON = {"content-type": "application/json"}


def nested(depth: int) -> bytes:
    return b'{"x": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture
def ada(make_browser):
    """A signed-in browser whose every request carries its CSRF header, as the pages' scripts send it."""
    browser = make_browser()
    browser.signup()
    browser.headers.update(browser.api_headers())
    return browser


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


def test_a_body_nested_1000_deep_is_refused_by_every_json_operation(ada, database):
    operations = json_operations(ada)
    assert ("POST", "/api/gpts") in operations and ("POST", "/api/conversations") in operations
    before = row_counts(database)
    for method, path in operations:
        response = ada.request(method, path, content=nested(DEPTH), headers=JSON)
        assert response.status_code == 422, (method, path, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_json", "body"), (method, path, error)
        assert "nested too deeply" in error["message"], error
    assert row_counts(database) == before


def test_an_import_nested_1000_deep_is_refused(ada, database):
    before = row_counts(database)
    document = b'{"format": "agora.gpt", "format_version": 1, "gpt": ' + nested(DEPTH) + b"}"
    response = ada.post("/api/gpts/import", content=document, headers=JSON)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_json", "/") and "nested too deeply" in error["message"]
    assert row_counts(database) == before



# Search boxes take any string a user can type and make it a valid search (agora.store.search).
SEARCH_BOXES = {("/search", "q"), ("/api/store/search", "q"), ("/api/store/suggest", "q")}


def _route_parameters():
    """(path, name, FieldInfo) of every path, query and form parameter of every route, dependencies' included."""
    def walk(dependant):
        yield dependant
        for sub in dependant.dependencies:
            yield from walk(sub)

    for router, _ in [*ROUTERS, (webhook_routes.router, True)]:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for dependant in walk(route.dependant):
                    for field in dependant.path_params + dependant.query_params + dependant.body_params:
                        yield route.path, field.name, field.field_info


def _arms(annotation):
    """The types a parameter takes, each with its own metadata: `Text | None` is (str, [storable])."""
    if get_origin(annotation) in (Union, UnionType):
        return [arm for arg in get_args(annotation) if arg is not type(None) for arm in _arms(arg)]
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return [(kind, [*metadata, *more]) for kind, more in _arms(base)]
    return [(annotation, [])]


def test_every_id_and_text_parameter_of_every_route_is_checked():
    """A number bound for an id column must fit it (agora.inputs.Id); a string must be storable (agora.inputs.Text)."""
    unchecked = []
    for path, name, info in _route_parameters():
        for kind, metadata in _arms(info.annotation):
            metadata = [*info.metadata, *metadata]
            if kind is int and not any(isinstance(m, Le) and m.le <= MAX_ID for m in metadata):
                unchecked.append((path, name, "int"))
            if kind is str and (path, name) not in SEARCH_BOXES and not any(getattr(m, "func", None) is storable for m in metadata):
                unchecked.append((path, name, "str"))
    assert unchecked == []


def _harmless(annotation) -> str:
    literal = next((arm for arm, _ in _arms(annotation) if get_origin(arm) is Literal), None)
    return str(get_args(literal)[0]) if literal is not None else "1"


def _sample_path(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def _calls_with(kind: type, value: str):
    """(method, url, parameter) for every route taking a `kind` path or query parameter, that parameter set to `value`."""
    for router, _ in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for field in route.dependant.path_params + route.dependant.query_params:
                if kind not in [arm for arm, _ in _arms(field.field_info.annotation)] or (route.path, field.name) in SEARCH_BOXES:
                    continue
                # Every other parameter gets a harmless value ("1", or the first a Literal allows), so the one
                # under test is the only problem.
                query = {other.name: _harmless(other.field_info.annotation) for other in route.dependant.query_params}
                in_path = field in route.dependant.path_params
                url = _sample_path(route.path, {field.name: value} if in_path else {})
                url += "?" + "&".join(f"{key}={value if key == field.name else one}" for key, one in query.items()) if query else ""
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, url, field.name


def test_ids_too_large_for_their_columns_are_refused_naming_the_field(ada, database):
    """2^63 (beyond SQLite's INTEGER) and 2^31 (beyond PostgreSQL's) in every id of every page and API route."""
    before = row_counts(database)
    calls = list(_calls_with(int, str(2**63))) + list(_calls_with(int, str(2**31)))
    assert {"workspace_id", "user_id", "invite_id", "review_id", "before"} <= {name for _, _, name in calls}
    for method, url, name in calls:
        response = ada.request(method, url)
        assert response.status_code == 422, (method, url, response.text)
        assert response.json()["error"]["field"] == name, (method, url, response.text)
    assert row_counts(database) == before


def test_a_nul_in_any_text_parameter_is_refused_naming_the_field(ada, database):
    before = row_counts(database)
    calls = list(_calls_with(str, "a%00b"))
    assert {"gpt_id", "conversation_id", "token", "handle"} <= {name for _, _, name in calls}
    for method, url, name in calls:
        response = ada.request(method, url)
        assert response.status_code == 422, (method, url, response.text)
        error = response.json()["error"]
        assert error["field"] == name and "NUL" in error["message"], (method, url, error)
    assert row_counts(database) == before


def test_a_nul_in_a_gpt_name_or_a_chat_message_is_refused_and_nothing_is_written(ada, database):
    gpt_id = ada.post("/api/gpts", json={"name": "Tutor"}).json()["id"]
    assert ada.post(f"/api/gpts/{gpt_id}/publish", json={}).status_code == 200
    conversation = ada.post("/api/conversations", json={"gpt_id": gpt_id}).json()["id"]
    before = row_counts(database)
    refusals = [
        (ada.post("/api/gpts", json={"name": "Tu\x00tor"}), "name"),
        (ada.patch(f"/api/gpts/{gpt_id}", json={"starters": ["ok", "n\x00"]}), "starters.1"),
        (ada.post(f"/api/gpts/{gpt_id}/publish", json={"note": "v\x00"}), "note"),
        (ada.post("/api/conversations", json={"gpt_id": gpt_id + "\x00"}), "gpt_id"),
        (ada.post(f"/api/conversations/{conversation}/messages", json={"content": "hi\x00"}), "content"),
        (ada.patch(f"/api/conversations/{conversation}", json={"title": "t\x00"}), "title"),
        (ada.submit("/gpts/new", {"name": "Tu\x00tor"}), "name"),
        (ada.submit(f"/c/{conversation}", {"content": "hi\x00"}), "content"),
    ]
    for response, field in refusals:
        assert response.status_code == 422, response.text
        assert field in response.text and "NUL" in response.text, response.text
    assert row_counts(database) == before


def test_an_import_with_a_nul_is_refused_at_its_json_pointer(ada, database):
    source = ada.post("/api/gpts", json={"name": "Source"}).json()["id"]
    ada.post(f"/api/gpts/{source}/publish", json={"note": "first"})
    document = ada.get(f"/api/gpts/{source}/export").json()
    before = row_counts(database)
    named = copy.deepcopy(document)
    named["gpt"]["draft"]["name"] = "So\x00urce"
    noted = copy.deepcopy(document)
    noted["gpt"]["versions"][0]["note"] = "fir\x00st"
    for changed, pointer in ((named, "/gpt/draft/name"), (noted, "/gpt/versions/0/note")):
        response = ada.post("/api/gpts/import", json=changed)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == pointer and "NUL" in response.json()["error"]["message"]
    assert row_counts(database) == before
    document["gpt"]["forked_from"] = "g-\x00"  # not an id Agora made: imported as forked from nothing
    imported = ada.post("/api/gpts/import", json=document)
    assert imported.status_code == 201, imported.text
    assert ada.get(f"/api/gpts/{imported.json()['ids'][0]}").json()["forked_from"] is None


def test_a_form_read_by_hand_refuses_unstorable_text_and_numbers_that_are_not_numbers(ada, database):
    """The pricing page reads its form itself (not through FastAPI's parameters): the same checks apply."""
    before = row_counts(database)
    for fields, named in [({"seats": "²"}, "seats"), ({"seats": "9" * 5000}, "seats"), ({"plan": "plus\x00"}, "plan"),
                          ({"interval": "month\x00"}, "interval")]:
        response = ada.submit("/pricing", {"plan": "plus", **fields})
        assert response.status_code == 422, (fields, response.status_code)
        assert named in response.text, fields
    assert row_counts(database) == before

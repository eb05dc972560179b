"""Reading builders' OpenAPI documents: operations listed as tools, and every refusal pointing into the document."""

from __future__ import annotations

import json

import pytest

from agora.actions import openapi
from agora.errors import InvalidInput
from tests.actions.trails_api import DOCUMENT

BASE = "https://api.example.com"


def doc(paths: dict, **extra) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "servers": [{"url": BASE}], "paths": paths, **extra}


def refusal(source, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        openapi.read(source, **kwargs)
    return caught.value


def test_a_yaml_document_becomes_tools_with_consequential_marks():
    document = openapi.read(DOCUMENT.format(base=BASE))
    assert document.title == "Trails"
    listed = {o.operation_id: o for o in document.operations}
    assert [(o.method, o.path, o.consequential) for o in document.operations[:2]] == [("GET", "/trails", False), ("POST", "/bookings", True)]
    assert listed["listTrails"].tool_parameters() == {
        "type": "object", "properties": {"near": {"type": "string", "description": "A town or a park"}}, "required": ["near"]}
    booking = listed["bookTrail"].tool_parameters()
    assert booking["required"] == ["requestBody"]
    assert booking["properties"]["requestBody"]["properties"]["people"] == {"type": "integer"}  # the $ref resolved
    assert listed["bookTrail"].server == BASE
    assert json.loads(document.text)["info"]["title"] == "Trails"


def test_the_consequential_flag_overrides_the_method():
    paths = {"/a": {"post": {"operationId": "search", "x-openai-isConsequential": False, "responses": {"200": {"description": "ok"}}},
                    "get": {"operationId": "peek", "x-openai-isConsequential": True, "responses": {"200": {"description": "ok"}}}}}
    operations = {o.operation_id: o.consequential for o in openapi.read(doc(paths)).operations}
    assert operations == {"search": False, "peek": True}


OK = {"responses": {"200": {"description": "ok"}}}


@pytest.mark.parametrize(("paths", "extra", "field"), [
    ({"/a": {"get": {**OK}}}, {}, "/paths/~1a/get"),  # no operationId
    ({"/a": {"get": {"operationId": "has space", **OK}}}, {}, "/paths/~1a/get/operationId"),
    ({"/a": {"get": {"operationId": "x", **OK}}, "/b": {"get": {"operationId": "x", **OK}}}, {}, "/paths/~1b/get/operationId"),
    ({"/a": {"get": {"operationId": "x", "summary": "s" * 301, **OK}}}, {}, "/paths/~1a/get/summary"),
    ({"/a": {"get": {"operationId": "x", "description": "d" * 301, **OK}}}, {}, "/paths/~1a/get/description"),
    ({"/a": {"get": {"operationId": "x", "parameters": [{"name": "q", "in": "query", "description": "p" * 701, "schema": {"type": "string"}}], **OK}}},
     {}, "/paths/~1a/get/parameters/0/description"),
    ({"/a": {"get": {"operationId": "x", "parameters": [{"name": "X-Secret", "in": "header", "required": True, "schema": {"type": "string"}}], **OK}}},
     {}, "/paths/~1a/get/parameters/0"),
    ({"/a": {"get": {"operationId": "x", "parameters": [{"$ref": "https://evil.example/p.json"}], **OK}}}, {}, "/paths/~1a/get/parameters/0/$ref"),
    ({"/a": {"get": {"operationId": "x", **OK}}}, {"servers": [{"url": "/v1"}]}, "/servers/0/url"),
    ({"/a": {"get": {"operationId": "x", **OK}}}, {"servers": [{"url": "ftp://files.example.com"}]}, "/servers/0/url"),
    ({"/a": {"get": {"operationId": "x", "responses": "nope"}}}, {}, "/paths/~1a/get/responses"),  # the validator's own pointer
])
def test_refusals_point_into_the_document(paths, extra, field):
    assert refusal(doc(paths, **extra)).field == field


def test_documents_that_are_not_openapi_3():
    assert refusal('{"swagger": "2.0"}').field == "/openapi"
    assert refusal("openapi: 3.1.0\ninfo: [unclosed").code == "invalid_openapi"
    aliases = "openapi: 3.1.0\ninfo: &i {title: T, version: '1'}\nx-copy: *i\npaths: {}\n"
    assert "aliases" in refusal(aliases).message
    assert refusal(doc({})).field == "/paths"


def test_a_relative_server_is_read_against_where_the_document_came_from():
    document = openapi.read(doc({"/a": {"get": {"operationId": "x", **OK}}}, servers=[{"url": "/v1"}]), base_url="https://api.example.com/spec.yaml")
    assert document.operations[0].server == "https://api.example.com/v1"


def test_a_recursive_schema_becomes_an_open_object_where_it_recurs():
    components = {"schemas": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}}
    paths = {"/a": {"post": {"operationId": "tree", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
                             **OK}}}
    body = openapi.read(doc(paths, components=components)).operations[0].tool_parameters()["properties"]["requestBody"]
    assert body["properties"]["child"] == {"type": "object", "description": "(recursive)"}

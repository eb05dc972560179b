"""Reading a builder's OpenAPI document: parsed (JSON or YAML), validated, its operations turned into tools.

The rules are the hosted product's, so a document written for it works here: OpenAPI 3.0 or
3.1, every operation with a unique `operationId` (letters, digits, `_` and `-`, at most 64),
what the model reads of an operation (its summary, else its description) at most 300
characters, parameter descriptions at most 700. An operation is consequential (the person is
asked before each call) as `x-openai-isConsequential` says, and when it is absent unless it
is a GET. Every refusal is an InvalidInput whose `field` is a JSON pointer into the document.

Only references inside the document (`#/...`) are followed: an external one would make Agora
fetch whatever address a document names, so it is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from agora.errors import InvalidInput
from agora.i18n import gettext as _

MAX_DOCUMENT_CHARS = 1_000_000
MAX_SUMMARY = 300
MAX_PARAMETER_DESCRIPTION = 700
MAX_OPERATIONS = 100
MAX_TOOL_PARAMETERS_CHARS = 30_000  # one operation's parameters as the model reads them, references resolved
METHODS = ("get", "put", "post", "delete", "patch")
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
BODY = "requestBody"  # the argument carrying an operation's JSON body, beside its parameters


def _refused(message: str, pointer: str) -> InvalidInput:
    return InvalidInput(message, field=pointer, code="invalid_openapi")


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to `parts`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str
    server: str  # the base URL the path is appended to
    description: str  # what the model reads
    consequential: bool
    parameters: list[dict[str, Any]]  # {"name", "in": "path" | "query", "required", "schema", "description"}
    body: dict[str, Any] | None  # the JSON body's schema, None when the operation takes none
    body_required: bool

    def stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Operation:
        return cls(**data)

    def tool_parameters(self) -> dict[str, Any]:
        """The JSON Schema the model fills in: one property per parameter, and `requestBody` for a JSON body."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for parameter in self.parameters:
            schema = dict(parameter["schema"] or {})
            if parameter["description"] and "description" not in schema:
                schema["description"] = parameter["description"]
            properties[parameter["name"]] = schema
            if parameter["required"]:
                required.append(parameter["name"])
        if self.body is not None:
            properties[BODY] = self.body
            if self.body_required:
                required.append(BODY)
        return {"type": "object", "properties": properties, **({"required": required} if required else {})}


@dataclass(frozen=True)
class Document:
    text: str  # as stored: JSON, whatever it was given in
    title: str
    operations: list[Operation]


def read(source: str | dict[str, Any], *, base_url: str | None = None) -> Document:
    """Parse, validate and list `source` (text or an already-parsed object); `base_url`: where it was fetched from,
    against which a relative server URL is read."""
    document = _parsed(source)
    _local_references_only(document)
    try:  # Agora's rules first: they point at the operation (the validator's duplicate operationId, say, points nowhere)
        operations: list[Operation] | None = _operations(document, base_url)
    except (AttributeError, TypeError, KeyError, ValueError):
        operations = None  # a shape the validator names, with its place, below
    try:
        validate(document)
    except OpenAPIValidationError as error:
        where = pointer(*error.absolute_path)
        raise _refused(_("This is not a valid OpenAPI document: %(reason)s", reason=_short(error.message)), where) from None
    except Exception as error:  # noqa: BLE001 - the validator's failures on what it cannot walk (a reference to nothing) have many types
        raise _refused(_("This is not a valid OpenAPI document: %(reason)s", reason=_short(str(error))), "") from None
    if operations is None:
        operations = _operations(document, base_url)
    info = document.get("info") or {}
    return Document(text=json.dumps(document, ensure_ascii=False), title=str(info.get("title") or ""), operations=operations)


def _parsed(source: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(source, dict):
        document: Any = source
    else:
        if len(source) > MAX_DOCUMENT_CHARS:
            raise _refused(_("The document is longer than %(max)s characters.", max=f"{MAX_DOCUMENT_CHARS:,}"), "")
        document = _parsed_text(source)
    if not isinstance(document, dict):
        raise _refused(_("An OpenAPI document is an object (with openapi, info and paths)."), "")
    if not str(document.get("openapi", "")).startswith(("3.0", "3.1")):
        raise _refused(_("Agora reads OpenAPI 3.0 and 3.1 documents: give the version as “openapi: 3.1.0”."), "/openapi")
    return document


def _parsed_text(text: str) -> Any:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise _refused(_("The document is not valid JSON: %(reason)s", reason=str(error)), "") from None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            # An alias repeats a node: a few lines can stand for billions of them once walked.
            if isinstance(event, yaml.AliasEvent):
                raise _refused(_("YAML aliases (*name) are not accepted: write the repeated part out."), "")
        loaded = yaml.load(text, Loader=_JsonLikeLoader)
    except yaml.YAMLError as error:
        raise _refused(_("The document is neither JSON nor valid YAML: %(reason)s", reason=_short(str(error))), "") from None
    return loaded


class _JsonLikeLoader(yaml.SafeLoader):
    """YAML as JSON sees it: dates and times stay text (a JSON document, and the validator, have no dates)."""


def _as_text(loader: _JsonLikeLoader, node: yaml.Node) -> str:
    return str(node.value)


_JsonLikeLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "…"


def _local_references_only(node: Any, where: tuple[str | int, ...] = ()) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                raise _refused(_("Only references inside the document (“#/components/...”) are followed; “%(ref)s” is outside it.",
                                 ref=value[:200]), pointer(*where, key))
            _local_references_only(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _local_references_only(value, (*where, index))


def _operations(document: dict[str, Any], base_url: str | None) -> list[Operation]:
    found: list[Operation] = []
    seen: dict[str, str] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _resolved(item, document)
        shared = item.get("parameters") or []
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            at = ("paths", path, method)
            operation_id = raw.get("operationId")
            if not operation_id:
                raise _refused(_("Every operation needs an operationId: the model calls it by that name."), pointer(*at))
            if not TOOL_NAME.match(operation_id):
                raise _refused(_("An operationId is 1 to 64 letters, digits, “_” or “-”: “%(id)s” is not.", id=operation_id[:80]),
                               pointer(*at, "operationId"))
            if operation_id in seen:
                raise _refused(_("The operationId “%(id)s” is used twice (also at %(other)s).", id=operation_id, other=seen[operation_id]),
                               pointer(*at, "operationId"))
            seen[operation_id] = pointer(*at)
            found.append(_operation(document, raw, path, method, at, shared, item, base_url))
    if not found:
        raise _refused(_("The document has no operations (GET, POST, PUT, PATCH or DELETE under paths)."), "/paths")
    if len(found) > MAX_OPERATIONS:
        raise _refused(_("A document may have at most %(max)s operations.", max=MAX_OPERATIONS), "/paths")
    return found


def _operation(document: dict[str, Any], raw: dict[str, Any], path: str, method: str, at: tuple[str, ...], shared: list[Any],
               item: dict[str, Any], base_url: str | None) -> Operation:
    summary, description = str(raw.get("summary") or "").strip(), str(raw.get("description") or "").strip()
    told, told_at = (summary, "summary") if summary else (description, "description")
    if len(told) > MAX_SUMMARY:
        raise _refused(_("What the model reads of an operation is at most %(max)s characters; this one has %(count)s.",
                         max=MAX_SUMMARY, count=len(told)), pointer(*at, told_at))
    flag = raw.get("x-openai-isConsequential")
    consequential = flag if isinstance(flag, bool) else method != "get"
    listed: list[tuple[tuple[str | int, ...], Any]] = [(("paths", at[1], "parameters", i), p) for i, p in enumerate(shared)]
    listed += [((*at, "parameters", i), p) for i, p in enumerate(raw.get("parameters") or [])]
    parameters = _parameters(document, listed)
    body, body_required = _body(document, raw.get("requestBody"), (*at, "requestBody"))
    operation = Operation(operation_id=raw["operationId"], method=method.upper(), path=path,
                          server=_server(document, raw, item, at, base_url), description=told, consequential=consequential,
                          parameters=parameters, body=body, body_required=body_required)
    if len(json.dumps(operation.tool_parameters())) > MAX_TOOL_PARAMETERS_CHARS:
        raise _refused(_("The parameters of this operation, references resolved, are longer than %(max)s characters.",
                         max=f"{MAX_TOOL_PARAMETERS_CHARS:,}"), pointer(*at))
    return operation


def _parameters(document: dict[str, Any], listed: list[tuple[tuple[str | int, ...], Any]]) -> list[dict[str, Any]]:
    by_name: dict[tuple[str, str], dict[str, Any]] = {}
    for where, raw in listed:  # the operation's own come last and replace the path's of the same name and place
        parameter = _resolved(raw, document)
        name, place = str(parameter.get("name")), str(parameter.get("in"))
        description = str(parameter.get("description") or "")
        if len(description) > MAX_PARAMETER_DESCRIPTION:
            raise _refused(_("A parameter's description is at most %(max)s characters; this one has %(count)s.",
                             max=MAX_PARAMETER_DESCRIPTION, count=len(description)), pointer(*where, "description"))
        if place in ("header", "cookie"):
            if parameter.get("required"):
                raise _refused(_("Agora sends no headers or cookies beyond the action's authentication; this operation requires “%(name)s”.",
                                 name=name), pointer(*where))
            continue
        if name == BODY:
            raise _refused(_("“%(name)s” is the name Agora gives an operation's body: rename this parameter.", name=BODY), pointer(*where, "name"))
        schema = parameter.get("schema")
        if schema is None and isinstance(parameter.get("content"), dict) and parameter["content"]:
            schema = next(iter(parameter["content"].values())).get("schema")
        by_name[(name, place)] = {"name": name, "in": place, "required": bool(parameter.get("required") or place == "path"),
                                  "schema": _inlined(schema or {}, document), "description": description}
    return list(by_name.values())


def _body(document: dict[str, Any], raw: Any, where: tuple[str | int, ...]) -> tuple[dict[str, Any] | None, bool]:
    if raw is None:
        return None, False
    body = _resolved(raw, document)
    content = body.get("content") or {}
    json_type = next((kind for kind in content if kind.split(";")[0].strip() == "application/json" or kind.endswith("+json")), None)
    if json_type is None:
        if body.get("required"):
            raise _refused(_("Agora sends JSON bodies only; this operation requires %(types)s.", types=", ".join(content) or _("a body")),
                           pointer(*where, "content"))
        return None, False
    return _inlined(content[json_type].get("schema") or {}, document), bool(body.get("required"))


def _server(document: dict[str, Any], raw: dict[str, Any], item: dict[str, Any], at: tuple[str, ...], base_url: str | None) -> str:
    where: tuple[str | int, ...]
    for servers, where in ((raw.get("servers"), (*at, "servers")), (item.get("servers"), ("paths", at[1], "servers")),
                           (document.get("servers"), ("servers",))):
        if servers:
            server = servers[0]
            url = str(server.get("url") or "")
            for name, variable in (server.get("variables") or {}).items():
                url = url.replace("{" + name + "}", str(variable.get("default", "")))
            where = (*where, 0, "url")
            break
    else:
        raise _refused(_("Name the API's server: servers: [{url: https://api.example.com}]."), "/servers")
    if not urlsplit(url).scheme:
        if base_url is None:
            raise _refused(_("The server URL “%(url)s” is relative: give it in full (https://...).", url=url[:200]), pointer(*where))
        url = urljoin(base_url, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refused(_("The server URL must be an http or https address with a host: “%(url)s” is not.", url=url[:200]), pointer(*where))
    return url.rstrip("/")


def _resolved(node: Any, document: dict[str, Any], depth: int = 0) -> Any:
    """`node`, or what its `$ref` points to (references to references followed, a few deep)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        node, depth = _target(node["$ref"], document), depth + 1
    return node if isinstance(node, dict) else {}


def _target(reference: str, document: dict[str, Any]) -> Any:
    node: Any = document
    for part in reference.lstrip("#").split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _inlined(schema: Any, document: dict[str, Any], trail: tuple[str, ...] = ()) -> Any:
    """A schema with its references replaced by what they point to; a reference back into itself becomes an open object."""
    if isinstance(schema, dict):
        reference = schema.get("$ref")
        if isinstance(reference, str):
            if reference in trail or len(trail) > 20:
                return {"type": "object", "description": "(recursive)"}
            return _inlined(_target(reference, document) or {}, document, (*trail, reference))
        return {key: _inlined(value, document, trail) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inlined(value, document, trail) for value in schema]
    return schema

"""What Agora's SCIM service offers (RFC 7644, section 4): ServiceProviderConfig, ResourceTypes and Schemas.

Described from the same scim2-models classes that validate what providers send, so the
documents cannot drift from what the endpoints accept. Readable without a token, as the
RFC allows for discovery.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

from agora.scim.errors import ScimError
from agora.scim.query import MAX_COUNT

MEDIA_TYPE = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
RESOURCES: list[type] = [User[EnterpriseUser], Group]


def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT), change_password=ChangePassword(supported=False),
        sort=Sort(supported=False), etag=ETag(supported=True),
        authentication_schemes=[AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken, name="Workspace SCIM token", primary=True,
            description="Authorization: Bearer agora-scim-..., made on the workspace's provisioning page.",
        )],
    )


def _with_meta(document: dict[str, Any], kind: str, location: str) -> dict[str, Any]:
    return {**document, "meta": {"resourceType": kind, "location": location}}


def _resource_types(base_url: str) -> list[dict[str, Any]]:
    return [_with_meta(ResourceType.from_resource(model).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), "ResourceType",
                       f"{base_url}/ResourceTypes/{model.__name__.split('[')[0]}") for model in RESOURCES]


def _schemas(base_url: str) -> list[dict[str, Any]]:
    described: list[Schema] = [User.to_schema(), EnterpriseUser.to_schema(), Group.to_schema()]
    return [_with_meta(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE), "Schema", f"{base_url}/Schemas/{schema.id}")
            for schema in described]


def _listed(documents: list[dict[str, Any]]) -> Response:
    body = {"schemas": [LIST_RESPONSE], "totalResults": len(documents), "startIndex": 1,
            "itemsPerPage": len(documents), "Resources": documents}
    return JSONResponse(body, media_type=MEDIA_TYPE)


def _one(documents: list[dict[str, Any]], wanted: str, kind: str) -> Response:
    for document in documents:
        if document["id"] == wanted:
            return JSONResponse(document, media_type=MEDIA_TYPE)
    raise ScimError(f"There is no {kind} {wanted}.", status=404)


def add_routes(app: FastAPI, *, base_url: Callable[[Request], str]) -> None:
    @app.get("/ServiceProviderConfig")
    def service_provider_config(request: Request) -> Response:
        document = _config().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return JSONResponse(_with_meta(document, "ServiceProviderConfig", f"{base_url(request)}/ServiceProviderConfig"),
                            media_type=MEDIA_TYPE)

    @app.get("/ResourceTypes")
    def resource_types(request: Request) -> Response:
        return _listed(_resource_types(base_url(request)))

    @app.get("/ResourceTypes/{name}")
    def resource_type(request: Request, name: str) -> Response:
        return _one(_resource_types(base_url(request)), name, "resource type")

    @app.get("/Schemas")
    def schemas(request: Request) -> Response:
        return _listed(_schemas(base_url(request)))

    @app.get("/Schemas/{schema_id}")
    def schema(request: Request, schema_id: str) -> Response:
        return _one(_schemas(base_url(request)), schema_id, "schema")

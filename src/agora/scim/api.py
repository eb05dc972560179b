"""/scim/v2: SCIM 2.0 (RFC 7643, 7644) for a workspace's identity provider, authenticated by the workspace's bearer token.

A sub-application of its own: no cookies, no CSRF, every answer (errors included) in SCIM's
shape and media type. Each call runs in one transaction, which on SQLite holds the write
lock from its first statement (what a change reads is still true when it writes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from scim2_models import Context, Error, Group, ListResponse, PatchOp, ResponseParameters, SCIMException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from agora.db import Database, begin_writing
from agora.errors import AgoraError
from agora.inputs import parse_json
from agora.scim import discovery, groups, query, tokens, users
from agora.scim.errors import ScimError
from agora.scim.models import ScimGroup, ScimUser

log = logging.getLogger("agora.scim")
PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"


def create_scim_app(main: FastAPI) -> FastAPI:
    """The SCIM application, mounted at PREFIX; it reads the main application's database and settings."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.main = main

    @app.exception_handler(ScimError)
    async def scim_error(request: Request, error: ScimError) -> Response:
        return _error(error.status, error.message, error.scim_type)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        return _error(error.status_code, "No such SCIM endpoint." if error.status_code == 404 else str(error.detail), None)

    @app.exception_handler(SCIMException)
    async def model_refusal(request: Request, error: SCIMException) -> Response:
        # scim2-models refusing a filter, a patch path or a value: its own status and scimType.
        return _error(error.status, error.detail, error.scim_type or None)

    @app.exception_handler(AgoraError)
    async def agora_error(request: Request, error: AgoraError) -> Response:
        return _error(error.status, error.message, None)

    @app.exception_handler(IntegrityError)
    async def race(request: Request, error: IntegrityError) -> Response:
        # Two calls created the same userName (or email) at once: the later one loses, as a duplicate would.
        return _error(409, "Another request created this resource at the same moment.", "uniqueness")

    discovery.add_routes(app, base_url=_base_url)
    _add_routes(app, "Users", users.UserResource, users, _user_listing)
    _add_routes(app, "Groups", Group, groups, _group_listing)
    return app


def _error(status: int, detail: str, scim_type: str | None) -> Response:
    body = Error(status=status, scim_type=scim_type, detail=detail).model_dump()
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _base_url(request: Request) -> str:
    return request.app.state.main.state.settings.resolved_public_url() + PREFIX


def _database(request: Request) -> Database:
    return request.app.state.main.state.database


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def _workspace(request: Request) -> int:
    with _database(request).session() as session:
        holder = tokens.holder_for(session, request.headers.get("authorization"))
    if holder is None:
        raise ScimError("Send the workspace's SCIM token: Authorization: Bearer agora-scim-... (made on the workspace's provisioning page).",
                        status=401)
    if holder.stale:
        with _database(request).session() as session:
            begin_writing(session)
            tokens.mark_used(session, holder.token_id)
    return holder.workspace_id


Workspace = Annotated[int, Depends(_workspace)]
Body = Annotated[bytes, Depends(_raw_body)]


def _parse(model: Any, raw: bytes, context: Context) -> Any:
    try:
        return model.model_validate(parse_json(raw, field="body"), scim_ctx=context)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ScimError(f"{where}: {first['msg']}", scim_type="invalidValue") from None
    except AgoraError as error:  # not JSON at all
        raise ScimError(error.message, scim_type="invalidSyntax") from None


def _resource(resource: Any, *, status: int = 200, params: ResponseParameters | None = None) -> Response:
    body = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=params)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers={"ETag": body["meta"]["version"]})


def _check_version(request: Request, row: Any) -> None:
    """If-Match: a change made from a stale read is refused (412), not applied over the newer one."""
    wanted = request.headers.get("if-match")
    if wanted and wanted.strip() != "*" and f'W/"{row.version}"' not in [v.strip() for v in wanted.split(",")]:
        raise ScimError(f'The resource changed: its version is now W/"{row.version}".', status=412)


def _params(request: Request) -> ResponseParameters:
    try:
        return ResponseParameters.model_validate({
            "attributes": request.query_params.get("attributes"), "excludedAttributes": request.query_params.get("excludedAttributes"),
        })
    except ValidationError:
        raise ScimError("attributes and excludedAttributes are comma-separated attribute paths.", scim_type="invalidPath") from None


def _list(request: Request, listing: query.Listing, to_resource: Any) -> Response:
    start, count = query.page_bounds(request.query_params.get("startIndex"), request.query_params.get("count"))
    with _database(request).session() as session:
        page = query.search(session, listing, request.query_params.get("filter"), start, count, to_resource(session))
    result = ListResponse[listing.model](total_results=page.total, start_index=page.start, items_per_page=len(page.resources),  # type: ignore[name-defined]
                                         resources=page.resources)
    return JSONResponse(result.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=_params(request)), media_type=MEDIA_TYPE)


def _user_listing(workspace_id: int) -> query.Listing:
    return query.Listing(users.UserResource, select(ScimUser).where(ScimUser.workspace_id == workspace_id), ScimUser.created_at, ScimUser.id,
                         {"username": (ScimUser.user_name_key, "folded"), "externalid": (ScimUser.external_id, "exact"),
                          "id": (ScimUser.id, "exact")})


def _group_listing(workspace_id: int) -> query.Listing:
    return query.Listing(Group, select(ScimGroup).where(ScimGroup.workspace_id == workspace_id), ScimGroup.created_at, ScimGroup.id,
                         {"displayname": (ScimGroup.display_name, "ci"), "externalid": (ScimGroup.external_id, "exact"),
                          "id": (ScimGroup.id, "exact")})


def _add_routes(app: FastAPI, endpoint: str, model: Any, service: Any, listing: Callable[[int], query.Listing]) -> None:
    """GET (list), POST at /{endpoint}; GET, PUT, PATCH, DELETE at /{endpoint}/{id}: the same for Users and Groups."""

    def show(request: Request, session: Session, row: Any) -> Any:
        return service.to_resource(session, row, base_url=_base_url(request))

    def change(request: Request, workspace_id: int, resource_id: str, act: Callable[[Session, Any], Any]) -> Response:
        with _database(request).session() as session:
            begin_writing(session)
            row = service.get(session, workspace_id, resource_id)
            _check_version(request, row)
            changed = act(session, row)
            shown = show(request, session, changed) if changed is not None else None
        return _resource(shown) if shown is not None else Response(status_code=204)

    @app.get(f"/{endpoint}")
    def list_resources(request: Request, workspace_id: Workspace) -> Response:
        return _list(request, listing(workspace_id), lambda session: lambda row: show(request, session, row))

    @app.post(f"/{endpoint}")
    def create(request: Request, workspace_id: Workspace, raw: Body) -> Response:
        resource = _parse(model, raw, Context.RESOURCE_CREATION_REQUEST)
        with _database(request).session() as session:
            begin_writing(session)
            shown = show(request, session, service.create(session, workspace_id=workspace_id, resource=resource))
        log.info("SCIM resource created", extra={"workspace_id": workspace_id, "endpoint": endpoint, "scim_id": shown.id})
        return _resource(shown, status=201)

    @app.get(f"/{endpoint}/{{resource_id}}")
    def read(request: Request, resource_id: str, workspace_id: Workspace) -> Response:
        with _database(request).session() as session:
            shown = show(request, session, service.get(session, workspace_id, resource_id))
        return _resource(shown, params=_params(request))

    @app.put(f"/{endpoint}/{{resource_id}}")
    def replace(request: Request, resource_id: str, workspace_id: Workspace, raw: Body) -> Response:
        resource = _parse(model, raw, Context.RESOURCE_REPLACEMENT_REQUEST)
        return change(request, workspace_id, resource_id, lambda session, row: service.replace(session, row, resource))

    @app.patch(f"/{endpoint}/{{resource_id}}")
    def patch(request: Request, resource_id: str, workspace_id: Workspace, raw: Body) -> Response:
        operations = _parse(PatchOp[model], raw, Context.RESOURCE_PATCH_REQUEST)
        base = _base_url(request)
        return change(request, workspace_id, resource_id, lambda session, row: service.patch(session, row, operations, base_url=base))

    @app.delete(f"/{endpoint}/{{resource_id}}", status_code=204)
    def delete(request: Request, resource_id: str, workspace_id: Workspace) -> Response:
        return change(request, workspace_id, resource_id, service.remove)

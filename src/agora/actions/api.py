"""The actions JSON API (the editor's Actions section uses it): add a GPT's OpenAPI action, enable operations, test a call.

`POST /api/gpts/{id}/actions` {"schema": text or object, "auth": {...}} -> 201 {"id", "operations": [...]};
a document that fails validation -> 422 whose `field` is a JSON pointer into it.
`POST /api/gpts/{id}/actions/{action_id}/test` {"operation_id", "arguments"} -> {"status", "body"}, or
a 4xx {"error": {...}} saying why the call was not made (the outbound guard, a bad argument).
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from agora.actions import calls, fetching, oauth, openapi, service
from agora.actions import tools as action_tools
from agora.actions.models import GptAction
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.body_limit import MB, accepts_bodies_up_to
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api/gpts", tags=["actions"], route_class=JsonRoute)


class ActionIn(BaseModel):
    """Give the document as `schema` (its text, JSON or YAML, or the object itself) or as `url` (Agora fetches it)."""

    document: Text | dict[str, Any] | None = Field(None, alias="schema")
    url: Text | None = Field(None, max_length=service.MAX_URL)
    auth: service.AuthIn | None = None
    enabled: list[Text] | None = Field(None, max_length=openapi.MAX_OPERATIONS)  # operationIds; default: all of them
    privacy_url: Text | None = Field(None, max_length=service.MAX_URL)

    model_config = {"populate_by_name": True}


class ActionPatchIn(ActionIn):
    """Only what is sent changes; `auth` without `key` keeps the stored key."""


class TestIn(BaseModel):
    operation_id: Text = Field(max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict)


class OperationOut(BaseModel):
    operation_id: str
    method: str
    path: str
    consequential: bool
    description: str
    server: str
    enabled: bool


class AuthOut(BaseModel):
    model_config = {"populate_by_name": True}

    type: str
    in_: str | None = Field(None, alias="in")
    name: str | None = None
    scheme: str | None = None
    key_set: bool = False  # the key (for oauth, the client's id and secret) is never shown again
    authorization_url: str | None = None  # oauth: where people sign in
    token_url: str | None = None
    scope: str | None = None
    token_exchange: str | None = None
    redirect_url: str | None = None  # oauth: the address to register at the provider


class ActionOut(BaseModel):
    id: str
    title: str
    source_url: str
    privacy_url: str
    auth: AuthOut
    operations: list[OperationOut]


class TestOut(BaseModel):
    status: int  # the API's HTTP status
    body: Any  # its JSON, parsed, or its text
    cut: bool  # the body was longer than 100,000 characters: this is its beginning


def _out(action: GptAction, settings) -> dict[str, Any]:
    enabled = set(action.enabled)
    auth = AuthOut(type=action.auth_type, key_set=bool(action.secret_encrypted))
    if action.auth_type == "api_key":
        auth = AuthOut(type="api_key", in_=action.auth.get("in"), name=action.auth.get("name"), scheme=action.auth.get("scheme"), key_set=True)
    elif action.auth_type == "oauth":
        auth = AuthOut(type="oauth", key_set=True, authorization_url=action.auth["authorization_url"], token_url=action.auth["token_url"],
                       scope=action.auth.get("scope", ""), token_exchange=action.auth.get("token_exchange", "post"),
                       redirect_url=oauth.redirect_uri(settings))
    return ActionOut(
        id=action.id, title=action.title, source_url=action.source_url, privacy_url=action.privacy_url, auth=auth,
        operations=[OperationOut(operation_id=o["operation_id"], method=o["method"], path=o["path"], consequential=o["consequential"],
                                 description=o["description"], server=o["server"], enabled=o["operation_id"] in enabled)
                    for o in action.operations],
    ).model_dump(by_alias=True)


async def _change(body: ActionIn, settings) -> service.Change:
    document, source = body.document, None
    if body.url:
        if document is not None:
            raise InvalidInput(_("Give the document or its URL, not both."), field="url")
        document, source = await fetching.fetch_document(body.url, settings), body.url
    return service.Change(schema=document, source_url=source, auth=body.auth, enabled=body.enabled, privacy_url=body.privacy_url)


@router.get("/{gpt_id}/actions", response_model=list[ActionOut], response_model_by_alias=True)
def list_actions(gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings):
    """The GPT's actions, for its editors: each operation with whether it is consequential and enabled."""
    with db.session() as session:
        return [_out(action, settings) for action in service.listed(session, user, gpt_id)]


@router.post("/{gpt_id}/actions", status_code=201, response_model=ActionOut, response_model_by_alias=True)
@accepts_bodies_up_to(4 * MB)
async def add_action(gpt_id: Text, body: ActionIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Add an action from an OpenAPI 3.0/3.1 document (`schema`, or `url` to fetch it); every operation starts enabled
    unless `enabled` lists some. A document that fails validation is refused with 422 and `field`, a JSON pointer into it."""
    change = await _change(body, settings)

    def create():
        with db.session() as session:
            return _out(service.create(session, user, settings, gpt_id, change), settings)

    return await anyio.to_thread.run_sync(create)


@router.patch("/{gpt_id}/actions/{action_id}", response_model=ActionOut, response_model_by_alias=True)
@accepts_bodies_up_to(4 * MB)
async def change_action(gpt_id: Text, action_id: Text, body: ActionPatchIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Replace the document, choose the enabled operations, change the auth or the privacy policy's URL."""
    change = await _change(body, settings)

    def update():
        with db.session() as session:
            return _out(service.update(session, user, settings, gpt_id, action_id, change), settings)

    return await anyio.to_thread.run_sync(update)


@router.delete("/{gpt_id}/actions/{action_id}", status_code=204)
def delete_action(gpt_id: Text, action_id: Text, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        service.delete(session, user, gpt_id, action_id)
    return Response(status_code=204)


@router.post("/{gpt_id}/actions/{action_id}/test", response_model=TestOut)
async def test_action(gpt_id: Text, action_id: Text, body: TestIn, user: CurrentUser, db: Db, settings: AppSettings):
    """Make one call as the editor's Test button does (no confirmation: the editor asked for it) and show the answer;
    a call that was not made is a 4xx (422: a bad argument or the outbound guard; 409 `sign_in_required` with
    `sign_in_url`: an OAuth action the editor has not signed in to; 503: the API is being left alone after repeated
    failures) naming why, one that failed without an answer a 502 or 504."""

    def load():
        with db.session() as session:
            action = service.find(session, user, gpt_id, action_id)
            session.expunge(action)
            return action, service.operation_of(action, body.operation_id), service.auth_of(action, settings)

    try:
        action, operation, auth = await anyio.to_thread.run_sync(load)
        if action.auth_type == "oauth":  # the editor's own sign-in, as a person chatting would use theirs
            auth = await action_tools.oauth_auth(db, settings, action, user.id)
        answer = await calls.call(action.id, operation, body.arguments, auth, settings)
    except action_tools.SignInRequired as required:
        return JSONResponse({"error": {"code": "sign_in_required", "message": str(required), "sign_in_url": required.url}}, status_code=409)
    except calls.CallRefused as refused:
        return JSONResponse({"error": {"code": refused.code, "message": refused.message}}, status_code=refused.status)
    return TestOut(status=answer.status, body=answer.body(), cut=answer.cut)

"""Signing in to an OAuth action's provider, coming back, and disconnecting (agora.actions.oauth, agora.actions.tokens).

`GET /actions/{action_id}/sign-in?next=...` sends the person to the provider;
`GET /actions/oauth/callback` is where the provider sends them back (the address builders
register): the code is exchanged, the tokens stored, and the person returns to `next` (the
chat, whose waiting reply then carries on). `GET /api/action-connections` lists the actions a
person signed in to; `DELETE /api/action-connections/{action_id}` removes their tokens.
"""

from __future__ import annotations

import logging

import anyio
import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from agora import outbound
from agora.actions import oauth, tokens
from agora.actions.models import GptAction
from agora.errors import AgoraError, NotFound
from agora.gpts import access
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.deps import AppSettings, CurrentUser, Db, safe_next
from agora.web.json_route import JsonRoute
from agora.web.templating import render

log = logging.getLogger("agora.actions")
pages = APIRouter(tags=["actions"])
router = APIRouter(prefix="/api/action-connections", tags=["actions"], route_class=JsonRoute)


@pages.get("/actions/{action_id}/sign-in")
def start_sign_in(request: Request, action_id: Text, user: CurrentUser, db: Db, settings: AppSettings, next: Text = "/") -> Response:
    """Send the person to the provider of an action of a GPT they may use."""
    try:
        with db.session() as session:
            action = session.get(GptAction, action_id)
            if action is None or action.auth_type != "oauth":
                raise NotFound(_("This action does not sign in with OAuth."))
            access.find_usable(session, action.gpt_id, user)
            url = oauth.begin(session, settings, action=action, user_id=user.id, next_path=safe_next(next))
    except AgoraError as error:
        return render(request, "error.html", error.status, message=error.message)
    return RedirectResponse(url, status_code=303)


@pages.get(oauth.CALLBACK_PATH)
async def finish_sign_in(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    """Exchange the provider's code (with the sign-in's PKCE verifier) for tokens, store them, and go back to the chat."""
    params = request.query_params

    def take() -> oauth.Pending:
        with db.session() as session:
            pending = oauth.take(session, settings, state=params.get("state", ""), user_id=user.id)
            session.expunge(pending.action)
            return pending

    try:
        pending = await anyio.to_thread.run_sync(take)
        if params.get("error"):
            raise oauth.SignInFailed(_("The provider did not sign you in: %(error)s.", error=(params.get("error_description") or params["error"])[:300]))
        client = oauth.client(pending.action, settings)
        if client is None:
            raise oauth.SignInFailed(_("This action's OAuth client was saved under another secret key: an editor must enter it again."))
        try:
            answer = await oauth.token_request(client, settings, {"grant_type": "authorization_code", "code": params.get("code", ""),
                                                                  "redirect_uri": oauth.redirect_uri(settings), "code_verifier": pending.verifier})
        except oauth.TokenRefused as refused:
            raise oauth.SignInFailed(_("The provider refused to give Agora a token: %(reason)s", reason=str(refused))) from None
        except outbound.Refused as refused:
            raise oauth.SignInFailed(str(refused)) from None
        except httpx.HTTPError as error:
            raise oauth.SignInFailed(_("The provider's token URL could not be reached: %(reason)s", reason=str(error) or type(error).__name__)) from None

        def keep() -> None:
            with db.session() as session:
                tokens.save(session, settings, action_id=pending.action.id, user_id=user.id, answer=answer)

        await anyio.to_thread.run_sync(keep)
    except AgoraError as error:
        log.info("action sign-in refused", extra={"reason": error.message})
        return render(request, "error.html", error.status, message=error.message)
    return RedirectResponse(pending.next, status_code=303)


class ConnectionOut(BaseModel):
    action_id: str
    gpt_id: str
    title: str  # the action's (its document's title)
    host: str  # where the person signed in
    connected_at: str


@router.get("", response_model=list[ConnectionOut])
def list_connections(user: CurrentUser, db: Db):
    """The actions the person signed in to (their tokens are never shown)."""
    with db.session() as session:
        return [ConnectionOut(action_id=c.action_id, gpt_id=c.gpt_id, title=c.title, host=c.host, connected_at=c.connected_at.isoformat())
                for c in tokens.connections(session, user.id)]


@router.delete("/{action_id}", status_code=204)
def disconnect(action_id: Text, user: CurrentUser, db: Db) -> Response:
    """Remove the person's tokens for the action: its next call asks them to sign in again."""
    with db.session() as session:
        if not tokens.forget(session, action_id=action_id, user_id=user.id):
            raise NotFound(_("You are not signed in to this action."))
    return Response(status_code=204)

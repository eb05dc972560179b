"""A GPT's enabled action operations as tools (agora.tools.registry): the model calls an operation by its operationId.

A consequential operation (agora.actions.openapi) is a consequential tool: the reply waits
for the person's Allow before each call (agora.replies.waiting); /v1 hands it back to the
caller. A non-consequential one asks first in the chat, until the person always allows it
(agora.tools.allowances); /v1 runs it. The key is decrypted when the call is made, never when the reply is prepared.

An OAuth action's tool calls with the access token of the person chatting (agora.actions.tokens).
Before a call, `sign_in(context)` says whether that person must sign in first: the reply then
waits showing "Sign in to <host>" (agora.replies.waiting), and /v1 hands the call back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from agora import outbound
from agora.actions import calls, oauth, service, tokens
from agora.actions.models import GptAction
from agora.actions.openapi import Operation
from agora.config import Settings
from agora.db import Database
from agora.i18n import gettext as _
from agora.tools import registry
from agora.tools.base import Tool, ToolContext, ToolFailed, ToolOwner, ToolResult

SUMMARY_CHARS = 120
log = logging.getLogger("agora.actions")


class _Application:
    """The application's state (its database), handed over by create_app: people's tokens are read and refreshed there."""

    state: Any = None


APPLICATION = _Application()


def install(state: Any) -> None:
    """Let OAuth actions read people's tokens (called by create_app with its app.state: one application per process)."""
    APPLICATION.state = state


def sign_in_path(action_id: str) -> str:
    """Where a person starts signing in to an OAuth action (agora.actions.oauth_routes); the chat adds `next`."""
    return f"/actions/{action_id}/sign-in"


class SignInRequired(Exception):
    """The person must sign in to the action's provider before its calls run: `url` starts it."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


async def oauth_auth(database: Database, settings: Settings, action: GptAction, user_id: int) -> calls.Auth:
    """The Auth of a call made for `user_id` to an OAuth action: their access token, refreshed when it expires.

    SignInRequired when they must sign in (again); CallRefused when a refresh could not be asked for."""
    try:
        return calls.Auth("oauth", key=await tokens.bearer(database, settings, action, user_id))
    except tokens.SignInNeeded:
        raise SignInRequired(_("Sign in to %(host)s first: the action acts in your name there.", host=oauth.host_of(action)),
                             sign_in_path(action.id)) from None
    except tokens.ClientUnreadable:
        raise calls.CallRefused(_("The action's OAuth client was saved under another secret key: an editor must enter it again."),
                                code="key_unreadable") from None
    except outbound.Refused as refused:
        raise calls.CallRefused(str(refused), code=f"outbound_{refused.code}") from None
    except httpx.HTTPError as error:
        raise calls.CallRefused(_("The provider's token URL could not be reached: %(reason)s", reason=str(error) or type(error).__name__),
                                code="unreachable", status=502) from None


class ActionTool:
    timeout_seconds = calls.TIMEOUT_SECONDS + 5  # the call's own limit answers first, saying so
    max_result_chars = calls.MAX_BODY_CHARS + 200  # the body, its status line and the note that it was cut

    def __init__(self, action: GptAction, operation: Operation) -> None:
        self.action_id, self.operation = action.id, operation
        self.name = operation.operation_id
        self.description = operation.description or f"{operation.method} {operation.path}"
        self.parameters: dict[str, Any] = operation.tool_parameters()
        self.consequential = operation.consequential
        # Every call sends the conversation's words to the API: one that changes nothing still asks until "Always allow".
        # Not an OAuth action's: the person's own sign-in to the provider is their consent to this GPT using it in their name.
        self.asks_first = not operation.consequential and action.auth_type != "oauth"
        self.server = urlsplit(operation.server).netloc
        self._auth_type, self._auth = action.auth_type, dict(action.auth)
        self._secret = action.secret_encrypted

    def title(self) -> str:
        return self.operation.operation_id

    async def sign_in(self, context: ToolContext) -> dict[str, str] | None:
        """Where the person must sign in before this call ({"url", "host"}), or None: they may call (or the action needs no
        sign-in). A token about to expire is refreshed here, so a refused refresh asks to sign in again."""
        if self._auth_type != "oauth" or APPLICATION.state is None or context.settings is None:
            return None
        try:
            await oauth_auth(APPLICATION.state.database, context.settings, self._detached(), context.user_id)
        except SignInRequired as required:
            return {"url": required.url, "host": oauth.host_of(self._detached())}
        except calls.CallRefused:
            return None  # the call itself says why it cannot be made
        return None

    def _detached(self) -> GptAction:
        return GptAction(id=self.action_id, auth_type=self._auth_type, auth=self._auth, secret_encrypted=self._secret)

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        detached = self._detached()
        try:
            if self._auth_type == "oauth":
                if APPLICATION.state is None or context.settings is None:
                    raise calls.CallRefused(_("The action's key cannot be read here."), code="key_unreadable")
                auth = await oauth_auth(APPLICATION.state.database, context.settings, detached, context.user_id)
            else:
                auth = service.auth_of(detached, context.settings)
            answer = await calls.call(self.action_id, self.operation, arguments, auth, context.settings)
        except SignInRequired as required:
            raise ToolFailed(str(required)) from None
        except calls.CallRefused as refused:
            raise ToolFailed(refused.message) from None
        if answer.status == 401 and self._auth_type == "oauth" and APPLICATION.state is not None:
            await tokens.revoked(APPLICATION.state.database, self.action_id, context.user_id)  # the next call asks the person to sign in again
        summary = _("%(method)s %(path)s answered %(status)s", method=self.operation.method, path=self.operation.path, status=answer.status)
        return ToolResult(content=answer.for_model(), summary=summary[:SUMMARY_CHARS])


def tools_of(session: Session | None, owner: ToolOwner) -> Iterable[Tool]:
    if session is None:
        return
    for action in service.of_gpt(session, owner.gpt_id):
        enabled = set(action.enabled)
        for stored in action.operations:
            if stored["operation_id"] in enabled:
                yield ActionTool(action, Operation.from_stored(stored))


registry.register(tools_of)

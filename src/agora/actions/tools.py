"""A GPT's enabled action operations as tools (agora.tools.registry): the model calls an operation by its operationId.

A consequential operation (agora.actions.openapi) is a consequential tool: the reply waits
for the person's Allow before each call (agora.replies.waiting); /v1 hands it back to the
caller. The key is decrypted when the call is made, never when the reply is prepared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from agora.actions import calls, service
from agora.actions.models import GptAction
from agora.actions.openapi import Operation
from agora.i18n import gettext as _
from agora.tools import registry
from agora.tools.base import Tool, ToolContext, ToolFailed, ToolOwner, ToolResult

SUMMARY_CHARS = 120


class ActionTool:
    timeout_seconds = calls.TIMEOUT_SECONDS + 5  # the call's own limit answers first, saying so
    max_result_chars = calls.MAX_BODY_CHARS + 200  # the body, its status line and the note that it was cut

    def __init__(self, action: GptAction, operation: Operation) -> None:
        self.action_id, self.operation = action.id, operation
        self.name = operation.operation_id
        self.description = operation.description or f"{operation.method} {operation.path}"
        self.parameters: dict[str, Any] = operation.tool_parameters()
        self.consequential = operation.consequential
        self.server = urlsplit(operation.server).netloc
        self._auth_type, self._auth = action.auth_type, dict(action.auth)
        self._secret = action.secret_encrypted

    def title(self) -> str:
        return self.operation.operation_id

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        detached = GptAction(id=self.action_id, auth_type=self._auth_type, auth=self._auth, secret_encrypted=self._secret)
        try:
            answer = await calls.call(self.action_id, self.operation, arguments, service.auth_of(detached, context.settings), context.settings)
        except calls.CallRefused as refused:
            raise ToolFailed(refused.message) from None
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

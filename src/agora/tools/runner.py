"""Running one tool call the model made: its arguments read, the tool given its time, its result cut to size.

Whatever happens, the model gets an answer to its call (a result or why there is none) and
the person a line saying what was done: a tool that fails, hangs or returns a novel must not
end the reply, nor fill the model's context.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from agora.i18n import gettext as _
from agora.tools.base import Link, Tool, ToolContext, ToolFailed

log = logging.getLogger("agora.tools")


@dataclass(frozen=True)
class ToolUse:
    """A call to one of the GPT's tools, answered: what the model reads, and what the person is shown."""

    call_id: str
    name: str
    arguments: str  # JSON, as the model wrote it
    content: str  # the answer the model reads
    summary: str  # the result ("2+2 = 4"), or why there is none
    ok: bool
    sources: tuple[Link, ...] = ()

    def shown(self) -> dict:
        """What the chat stores and shows of it (not what the model read): with the pages it drew on, when it names some."""
        shown: dict = {"name": self.name, "summary": self.summary, "ok": self.ok}
        if self.sources:
            shown["sources"] = [{"title": link.title, "url": link.url} for link in self.sources]
        return shown


async def run_call(tool: Tool, *, call_id: str, arguments: str, context: ToolContext) -> ToolUse:
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return _failed(tool, call_id, arguments, _("The arguments must be a JSON object, as the tool's parameters describe."))
    try:
        async with asyncio.timeout(tool.timeout_seconds):
            result = await tool.run(parsed, context)
    except ToolFailed as refused:
        return _failed(tool, call_id, arguments, str(refused))
    except TimeoutError:
        return _failed(tool, call_id, arguments, _("It did not answer within %(seconds)s seconds.", seconds=f"{tool.timeout_seconds:g}"))
    except Exception:
        log.exception("tool %s failed", tool.name)
        return _failed(tool, call_id, arguments, _("It failed unexpectedly."))
    return ToolUse(call_id, tool.name, arguments, _cut(result.content, tool.max_result_chars), result.summary, True, result.sources)


def declined(call_id: str, name: str, arguments: str, *, allowed: bool) -> ToolUse:
    """A consequential call that did not run: the person declined it, or (allowed) the tool is gone since it was asked."""
    reason = _("It is no longer available.") if allowed else _("You declined it.")
    # Said to the model in English, like the rest of what it reads from Agora.
    told = "Error: the tool is no longer available." if allowed else "The user declined this call; it was not made."
    return ToolUse(call_id, name, arguments, told, reason, False)


def _failed(tool: Tool, call_id: str, arguments: str, reason: str) -> ToolUse:
    return ToolUse(call_id, tool.name, arguments, f"Error: {reason}", reason, False)


def _cut(content: str, limit: int) -> str:
    if len(content) <= limit:
        return content
    # Said to the model in English, like the rest of what it reads from Agora.
    return content[:limit] + f"\n[The result was cut: it has {len(content)} characters; only the first {limit} are shown.]"

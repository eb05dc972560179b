"""A reply waiting for the person's word on consequential tool calls, and how it resumes (agora.replies.engine).

A tool is consequential when it changes something outside Agora (`Tool.consequential`: an
action's POST, an MCP tool that does not declare itself read-only). Before such a call the
chat shows what would be done (the operation, the server it goes to, the arguments) with
Allow and Deny; a call that only sends data to a third party (`Tool.asks_first`) is asked
about the same way, with Always allow besides, until the person always allows it; the reply is stored as `waiting` with what it continues from, so the
decision may come from any worker, minutes later. Nothing here knows where a tool comes
from: any tool source's consequential tools wait the same way. A call whose tool needs the
person to sign in first (an OAuth action) waits too, showing where to sign in; once back,
the reply carries on like an allowed one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agora.tools.base import Tool

MAX_SHOWN_ARGUMENTS = 2000  # characters of a call's arguments the confirmation shows; the call itself gets them all


@dataclass(frozen=True)
class Waiting:
    """Where a reply stopped: the messages added since the prompt (the model's calls, the results of those already run),
    the consequential calls to decide on, and the tool round the reply resumes at."""

    messages: list[dict[str, Any]]
    calls: list[dict[str, Any]]  # asked_call's shape
    round: int

    def stored(self) -> dict[str, Any]:
        return {"messages": self.messages, "calls": self.calls, "round": self.round}

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Waiting:
        return cls(messages=list(data["messages"]), calls=list(data["calls"]), round=int(data["round"]))

    def shown(self) -> list[dict[str, Any]]:
        """What the person is asked about, call by call (no call id, no messages: they are the engine's); with `sign_in`
        ({"url", "host"}) for a call the person must sign in for first, and `consequential` then; `can_always_allow`: a
        call that changes nothing may be allowed always (consequential calls, sign-ins and calls kept from before may not)."""
        return [{"name": call["name"], "title": call["title"], "server": call["server"], "arguments": call["shown_arguments"],
                 "can_always_allow": bool(call.get("can_always_allow")),
                 **({"sign_in": call["sign_in"], "consequential": call.get("consequential", True)} if call.get("sign_in") else {})}
                for call in self.calls]

    def can_always_allow(self) -> bool:
        """"Always allow" is offered for the whole question only when every call in it may be always allowed."""
        return all(call.get("can_always_allow") for call in self.calls)


@dataclass(frozen=True)
class Resume:
    """A waiting reply carried on: `allowed` runs its calls, otherwise the model is told the person declined them;
    `text` is what the reply said before it waited (the resumed reply's text follows it)."""

    waiting: Waiting
    allowed: bool
    text: str = ""


def asked_call(tool: Tool, call: dict[str, Any], *, sign_in: dict[str, str] | None = None) -> dict[str, Any]:
    """A call as the reply keeps it while it waits (consequential, or `sign_in`: the person must sign in first, there):
    the call, and what the person is shown of it."""
    arguments = call["function"]["arguments"] or "{}"
    try:
        shown = json.dumps(json.loads(arguments), ensure_ascii=False, indent=2)
    except ValueError:
        shown = arguments  # the model's malformed JSON, shown as it is: the run will refuse it
    if len(shown) > MAX_SHOWN_ARGUMENTS:
        shown = shown[:MAX_SHOWN_ARGUMENTS] + "…"
    asked = {"call_id": call["id"], "name": tool.name, "title": tool.title(), "server": server_of(tool), "arguments": arguments,
             "shown_arguments": shown, "can_always_allow": not tool.consequential and not sign_in}
    if sign_in:
        asked |= {"sign_in": dict(sign_in), "consequential": tool.consequential}
    return asked


def server_of(tool: Tool) -> str:
    """Where a call goes, for the person: a tool source may name it (`server`: an action's host, an MCP server's name)."""
    return str(getattr(tool, "server", "") or "")

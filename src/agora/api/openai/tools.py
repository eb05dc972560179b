"""Tools (function calling) in /v1: the shapes OpenAI defines, and the rules that span fields.

Shapes, checked by pydantic field by field (a wrong one is a 400 naming it):
  tools         [{"type": "function", "function": {"name", "description"?, "parameters"?, "strict"?}}]
  tool_choice   "none" | "auto" | "required" | {"type": "function", "function": {"name"}}
  an assistant message's tool_calls  [{"id", "type": "function", "function": {"name", "arguments"}}]
  a tool message  {"role": "tool", "content", "tool_call_id"}
`check` then refuses what OpenAI refuses across fields (a tool_choice without tools, a tool
message answering no call, a call left unanswered) so the caller learns it from us, with
the field named, rather than as an upstream failure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agora.api.openai.errors import OpenAIError, invalid

if TYPE_CHECKING:
    from agora.api.openai.schemas import ChatCompletionIn

MAX_TOOLS = 128
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
CHOICES = ("none", "auto", "required")


class FunctionDefinition(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None  # a JSON Schema object, passed on as written
    strict: bool | None = None

    @field_validator("name")
    @classmethod
    def well_formed(cls, name: str) -> str:
        if not FUNCTION_NAME.fullmatch(name):
            raise ValueError("function names are 1 to 64 letters, digits, underscores or dashes")
        return name


class Tool(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    type: Literal["function"]
    function: FunctionDefinition


class CalledFunction(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    name: str
    arguments: str  # JSON text, as the model wrote it


class ToolCall(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    id: str = Field(min_length=1)
    type: Literal["function"]
    function: CalledFunction


def check(body: ChatCompletionIn) -> None:
    """Refuse tool fields that are well-shaped one by one but wrong together."""
    names = {tool.function.name for tool in body.tools or ()}
    if body.tool_choice is not None:
        _check_choice(body.tool_choice, names, has_tools=bool(body.tools))
    if body.parallel_tool_calls is not None and not body.tools:
        raise invalid("Invalid value for 'parallel_tool_calls': it is only allowed when 'tools' are specified.", "parallel_tool_calls", "invalid_value")
    _check_answers(body)


def _check_choice(choice: str | dict[str, Any], names: set[str], *, has_tools: bool) -> None:
    if isinstance(choice, str):
        if choice not in CHOICES:
            raise invalid(f"Invalid value for 'tool_choice': {choice!r}; use one of {', '.join(CHOICES)} or a named function.", "tool_choice", "invalid_value")
    else:
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if choice.get("type") != "function" or not isinstance(name, str):
            raise invalid('Invalid value for \'tool_choice\': a named choice is {"type": "function", "function": {"name": "..."}}.',
                          "tool_choice", "invalid_value")
        if has_tools and name not in names:
            raise invalid(f"Invalid value for 'tool_choice': no function named {name!r} is among 'tools'.", "tool_choice", "invalid_value")
    if not has_tools:
        raise invalid("Invalid value for 'tool_choice': it is only allowed when 'tools' are specified.", "tool_choice", "invalid_value")


def _check_answers(body: ChatCompletionIn) -> None:
    """Each tool message answers a call of the assistant message before it; each call gets its answer."""
    waiting: dict[str, int] = {}  # call id -> index of the assistant message that made it
    for index, message in enumerate(body.messages):
        if message.tool_calls is not None and message.role != "assistant":
            raise invalid("Only assistant messages can have 'tool_calls'.", f"messages[{index}].tool_calls", "invalid_value")
        if message.role == "tool":
            if message.tool_call_id is None:
                raise invalid(f"Missing required parameter: 'messages[{index}].tool_call_id'.", f"messages[{index}].tool_call_id",
                              "missing_required_parameter")
            if waiting.pop(message.tool_call_id, None) is None:
                raise invalid("A message with role 'tool' must answer a call in the 'tool_calls' of the assistant message before it; "
                              f"no call has the id {message.tool_call_id!r}.", f"messages[{index}].tool_call_id", "invalid_value")
            continue
        if waiting:
            raise _unanswered(waiting)
        waiting = {call.id: index for call in message.tool_calls or ()}
    if waiting:
        raise _unanswered(waiting)


def _unanswered(waiting: dict[str, int]) -> OpenAIError:
    index = next(iter(waiting.values()))
    return invalid(
        "An assistant message with 'tool_calls' must be followed by tool messages answering each 'tool_call_id'. "
        f"These have no answer: {', '.join(waiting)}.", f"messages[{index}].tool_calls", "invalid_value",
    )

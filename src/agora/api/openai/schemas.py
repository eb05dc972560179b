"""The request body of /v1/chat/completions, validated the way OpenAI does.

Unknown fields are ignored (OpenAI adds fields often; old gateways must not break new SDKs);
wrong types are refused, not coerced: `"temperature": "hot"` is a 400 naming `temperature`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agora.api.openai import tools as tool_rules
from agora.api.openai.errors import invalid
from agora.api.openai.tools import MAX_TOOLS, Tool, ToolCall

MAX_STOPS = 4


class TextPart(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    def for_provider(self) -> dict[str, Any]:
        """The message as providers take it: text content; tool fields only when present."""
        text = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        # "developer" is the newer name of "system"; the models behind Agora know "system".
        message: dict[str, Any] = {"role": "system" if self.role == "developer" else self.role, "content": text}
        if self.name is not None:
            message["name"] = self.name
        if self.tool_calls:
            message["tool_calls"] = [call.model_dump() for call in self.tool_calls]
            message["content"] = text or None  # OpenAI's own shape for an assistant turn that only calls tools
        if self.role == "tool":
            message["tool_call_id"] = self.tool_call_id
        return message


class StreamOptions(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    include_usage: bool = False


class ChatCompletionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    n: int = Field(1, ge=1)
    user: str | None = None
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = Field(None, max_length=MAX_TOOLS)
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None

    @field_validator("n")
    @classmethod
    def one_choice(cls, n: int) -> int:
        if n != 1:
            raise ValueError("only n=1 is supported")
        return n

    @field_validator("stop")
    @classmethod
    def few_stops(cls, stop: str | list[str] | None) -> str | list[str] | None:
        if isinstance(stop, list) and len(stop) > MAX_STOPS:
            raise ValueError(f"at most {MAX_STOPS} stop sequences")
        return stop

    @property
    def stops(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    @property
    def reply_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    @property
    def tool_definitions(self) -> list[dict[str, Any]] | None:
        """`tools` as providers take them (OpenAI's shape, without the fields a caller left out)."""
        return [tool.model_dump(exclude_none=True) for tool in self.tools] if self.tools else None

    @property
    def uses_tools(self) -> bool:
        return bool(self.tools) or any(m.role == "tool" or m.tool_calls for m in self.messages)


UNION_LABELS = {"str", "int", "float", "bool", "dict"}


def param_of(location: tuple) -> str:
    """`("messages", 0, "role")` -> `messages[0].role`, as OpenAI names a field."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in UNION_LABELS or not str(part).isidentifier():
            continue  # pydantic's labels of union branches (`str`, `list[TextPart]`) are not fields
        else:
            text += ("." if text else "") + str(part)
    return text


def parse(data: Any) -> ChatCompletionIn:
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.")
    try:
        body = ChatCompletionIn.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        param = param_of(first["loc"])
        if first["type"] == "missing":
            raise invalid(f"Missing required parameter: '{param}'.", param, "missing_required_parameter") from None
        reason = first["msg"].removeprefix("Value error, ")
        raise invalid(f"Invalid value for '{param}': {reason}.", param, "invalid_value") from None
    tool_rules.check(body)
    return body

"""The bodies /v1 answers with, in OpenAI's exact shapes: a `chat.completion`, or `chat.completion.chunk` events.

A reply may carry text, tool calls, or both. In a completion the calls are the message's
`tool_calls`, with `content` null when the model only called tools; in a stream each call
opens with a piece carrying its `id`, `type` and function `name`, and its `arguments`
follow in fragments, all under `delta.tool_calls` with the call's `index`.
"""

from __future__ import annotations

import json
import secrets
import time

from agora.providers.base import TextDelta, ToolCallDelta
from agora.replies.outcome import Outcome


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_urlsafe(18)


def completion(reply_id: str, model: str, outcome: Outcome) -> dict:
    message: dict = {"role": "assistant", "content": outcome.text, "refusal": None}
    if outcome.refusal:  # the guardrails withheld the reply: OpenAI's refusal, content null (agora.replies.guardrails)
        message.update(content=None, refusal=outcome.refusal)
    if outcome.tool_calls:
        message["content"] = outcome.text or None
        message["tool_calls"] = outcome.tool_calls
    if outcome.citations:
        message["annotations"] = file_citations(outcome)
    return {
        "id": reply_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": outcome.finish_reason or "stop"}],
        "usage": usage(outcome), "system_fingerprint": None,
    }


def file_citations(outcome: Outcome) -> list[dict]:
    """The knowledge passages the reply cites, in OpenAI's file_citation shape: where the text cites "[n]", its place in the
    text; a passage given but never cited by number (small models rarely cite) is placed at the text's end, with empty `text`."""
    found = []
    for citation in outcome.citations:
        marker = f"[{citation.number}]"
        start = outcome.text.find(marker)
        text, start = (marker, start) if start >= 0 else ("", len(outcome.text))
        found.append({
            "type": "file_citation", "text": text, "start_index": start, "end_index": start + len(text),
            "file_citation": {"file_id": f"file-{citation.file_id}", "filename": citation.file_name, "page": citation.page, "quote": citation.quote},
        })
    return found


def usage(outcome: Outcome) -> dict:
    prompt, completion_tokens = outcome.usage.prompt_tokens, outcome.usage.completion_tokens
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


class Chunks:
    """The SSE events of one streamed reply: every chunk shares its id, creation time and model."""

    def __init__(self, reply_id: str, model: str, *, include_usage: bool) -> None:
        self._head = {"id": reply_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        self._usage_field = {"usage": None} if include_usage else {}
        # A text piece's event is the same bytes around its JSON-encoded text: rendered once, so
        # each piece costs one json.dumps of a string rather than of the whole chunk.
        marker = "\u0000piece\u0000"
        around = self._choice({"content": marker}).split(json.dumps(marker).encode())
        self._text_around = around if len(around) == 2 else None  # a model named like the marker: the slow way

    def opening(self, first: TextDelta | ToolCallDelta | None) -> bytes:
        # OpenAI's first delta names the role; its content is "" before text and null before tool calls.
        return self._choice({"role": "assistant", "content": None if isinstance(first, ToolCallDelta) else ""})

    def piece(self, piece: TextDelta | ToolCallDelta) -> bytes:
        if isinstance(piece, TextDelta):
            if self._text_around is None:
                return self._choice({"content": piece.text})
            before, after = self._text_around
            return before + json.dumps(piece.text).encode() + after
        call: dict = {"index": piece.index}
        if piece.id is not None:
            call.update(id=piece.id, type="function")
        function: dict = {"name": piece.name} if piece.name is not None else {}
        function["arguments"] = piece.arguments
        call["function"] = function
        return self._choice({"tool_calls": [call]})

    def ending(self, outcome: Outcome) -> bytes:
        if outcome.refusal:  # the guardrails withheld the reply once streamed: the notice as OpenAI's refusal, finish `content_filter`
            return self._choice({"refusal": outcome.refusal}, outcome.finish_reason)
        return self._choice({"annotations": file_citations(outcome)} if outcome.citations else {}, outcome.finish_reason or "stop")

    def usage(self, outcome: Outcome) -> bytes:
        return event({**self._head, "choices": [], "usage": usage(outcome)})

    def _choice(self, delta: dict, finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return event({**self._head, "choices": [choice], **self._usage_field})


def event(data: dict) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"

"""Turning pydantic's complaints about GPT content into one clear, translated error.

The message names the field and the limit; the error's `field` is the dotted path for the
JSON API and forms, or a JSON pointer (``/gpt/draft/name``) for imported documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agora.errors import InvalidInput
from agora.gpts.content import MAX_EMOJI, GptContent
from agora.i18n import gettext as _


def parse_content(data: Any, *, pointer: str | None = None) -> GptContent:
    """Validated content, or InvalidInput about the first problem found."""
    try:
        return GptContent.model_validate(data)
    except ValidationError as error:
        raise invalid(error, pointer=pointer) from None


def invalid(error: ValidationError, *, pointer: str | None = None, field: str | None = None) -> InvalidInput:
    """The first problem; `field` names it outright, else it is built from the error's location."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    if field is not None:
        pass
    elif pointer is None:
        field = ".".join(loc) or "body"
    else:
        field = pointer.rstrip("/") + "/" + "/".join(loc) if loc else pointer or "/"
    if field.endswith("knowledge_downloads"):  # its one rule (GptContent's validator), said in the reader's language
        message = _("Users cannot download the files of a GPT with hidden instructions: show the instructions, or turn file downloads off.")
    elif field.endswith("knowledge_chunk_overlap") and first["type"] == "value_error":  # the overlap against the size
        message = overlap_too_large()
    else:
        message = _message(first, field)
    return InvalidInput(message, field=field)


def overlap_too_large() -> str:
    return _("The passages' overlap must be smaller than their size: lower knowledge_chunk_overlap or raise knowledge_chunk_tokens.")


def check_chunking(content: GptContent, default_tokens: int, default_overlap: int) -> tuple[int, int]:
    """The passage size and overlap `content` asks (the store's defaults where it asks none), or InvalidInput naming the field
    the builder set when the pair does not fit (an overlap set alone may not fit the store's default size, and the reverse)."""
    size, overlap = content.chunking(default_tokens, default_overlap)
    if overlap >= size:
        field = "knowledge_chunk_overlap" if content.knowledge_chunk_overlap is not None else "knowledge_chunk_tokens"
        raise InvalidInput(overlap_too_large(), field=field)
    return size, overlap


def _message(detail: Mapping[str, Any], field: str) -> str:
    kind, ctx = detail["type"], detail.get("ctx") or {}
    if kind == "string_too_long":
        return _("%(field)s is too long: at most %(max)d characters.", field=field, max=ctx["max_length"])
    if kind == "too_long":
        return _("%(field)s has too many items: at most %(max)d.", field=field, max=ctx["max_length"])
    if kind in ("missing", "string_too_short"):
        return _("%(field)s is required.", field=field)
    if kind in ("less_than_equal", "less_than"):
        return _("%(field)s must be at most %(max)s.", field=field, max=ctx.get("le", ctx.get("lt")))
    if kind in ("greater_than_equal", "greater_than"):
        return _("%(field)s must be at least %(min)s.", field=field, min=ctx.get("ge", ctx.get("gt")))
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return _("%(field)s must be a number.", field=field)
    if kind == "literal_error":
        return _("%(field)s must be one of: %(allowed)s.", field=field, allowed=ctx.get("expected", ""))
    if kind == "extra_forbidden":
        return _("%(field)s is not a field Agora knows.", field=field)
    if field.endswith("avatar"):
        return _("%(field)s: use an emoji (at most %(max)d characters) or upload a picture.", field=field, max=MAX_EMOJI)
    return _("%(field)s is not valid: %(reason)s", field=field, reason=detail["msg"].removeprefix("Value error, "))

"""What a GPT brings into its prompt besides its instructions: sources of context register here.

A source reads what it needs (the GPT's knowledge files, say) and returns text sections for
the system message, placed after the instructions and counted against the context window
like them. Retrieved knowledge (issue 17) registers one; with none registered, a prompt is
the preamble, the instructions and the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from agora.gpts.content import GptContent


@dataclass(frozen=True)
class ContextQuery:
    gpt_id: str
    content: GptContent  # the version in use (the draft, in the preview)
    history: list[dict[str, Any]]  # the conversation, ending with what is to be answered
    language: str
    user_id: int


Source = Callable[[Session, ContextQuery], list[str]]
_sources: list[Source] = []


def register(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


def sections(session: Session, query: ContextQuery) -> list[str]:
    """Every registered source's sections, in the order they registered."""
    return [section for source in _sources for section in source(session, query)]

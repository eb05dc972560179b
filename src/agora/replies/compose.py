"""The prompt: platform preamble, the GPT's instructions, what context brings, and as much history as fits.

History is taken newest first until the model's context window (minus room for the reply,
and for the tool definitions the model is given) is full; how many older messages were
left out is returned, for the chat to record on the reply. The instructions live only here
and in the provider request, never in what the browser gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from agora.gpts.content import GptContent
from agora.i18n import LANGUAGE_NAMES
from agora.knowledge.citations import Citation, quote
from agora.knowledge.retrieval import Hit
from agora.providers.base import Provider
from agora.replies.errors import TooLong


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, Any]]
    prompt_tokens: int  # the messages' and `extra_tokens`
    omitted: int


def preamble(*, today: date, language: str, gpt_name: str) -> str:
    # Written in English whatever the interface language: small models follow it best,
    # and it says which language to answer in.
    return (
        f"You are {gpt_name}, an assistant on Agora. Today is {today.isoformat()}. "
        f"The user's interface language is {LANGUAGE_NAMES.get(language, language)}; answer in the language they write in."
    )


def system_message(*, content: GptContent, language: str, today: date, sections: Sequence[str] = ()) -> dict[str, str]:
    """The GPT's system message: the preamble, its instructions, then each context section (retrieved passages, say)."""
    parts = [preamble(today=today, language=language, gpt_name=str(content.text("name", language)))]
    parts += [text for text in (str(content.text("instructions", language)).strip(), *sections) if text]
    return {"role": "system", "content": "\n\n".join(parts)}


def compose(
    *,
    provider: Provider,
    model: str,
    history: list[dict[str, Any]],
    reply_tokens: int,
    system: dict[str, str] | None = None,
    extra_tokens: int = 0,
    whole_history: bool = False,
) -> Prompt:
    """`system` (a GPT's; None for a base model) and as much of `history` (oldest first) as fits with room for the reply.

    `extra_tokens` are taken by what goes beside the messages (tool definitions). With
    `whole_history`, history that does not fit whole is refused (TooLong) rather than shortened.
    """
    window = provider.context_window(model)
    budget = window - reply_tokens - extra_tokens
    head = [system] if system is not None else []
    used = provider.count_tokens(head, model) if head else 0
    kept: list[dict[str, Any]] = []
    for message in reversed(history):
        cost = provider.count_tokens([message], model)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    if not kept or (whole_history and len(kept) < len(history)):
        latest = provider.count_tokens([history[-1]], model)
        room = max(budget - (provider.count_tokens(head, model) if head else 0), 0)
        raise TooLong(window=window, room=room, latest=latest, reply_tokens=reply_tokens)
    kept.reverse()
    return Prompt(messages=[*head, *kept], prompt_tokens=used + extra_tokens, omitted=len(history) - len(kept))


@dataclass(frozen=True)
class Knowledge:
    section: str  # for the system message ("" when nothing was retrieved)
    citations: list[Citation]  # the passages in it, numbered as the model sees them


KNOWLEDGE_HEADER = (
    "Passages from this GPT's knowledge files that may answer the user's last message. Answer from them when they do, "
    "and cite each passage you use by its number in square brackets, like [1]. If they do not answer it, say so."
)


def knowledge(hits: Sequence[Hit], *, budget: int, provider: Provider, model: str) -> Knowledge:
    """Retrieved passages, best first, numbered, as many as fit in `budget` tokens (the first one cut to fit, rather than none)."""
    if not hits or budget <= 0:
        return Knowledge("", [])
    used = provider.count_tokens([{"role": "system", "content": KNOWLEDGE_HEADER}], model)
    parts, citations = [KNOWLEDGE_HEADER], list[Citation]()
    for hit in hits:
        number = len(citations) + 1
        where = f"{hit.file_name}, page {hit.page}" if hit.page is not None else hit.file_name
        passage = f"[{number}] {where}:\n{hit.text.strip()}"
        cost = provider.count_tokens([{"role": "system", "content": passage}], model)
        if used + cost > budget:
            if citations:
                break
            room = budget - used
            if room < 50:
                return Knowledge("", [])
            passage = passage[: max(len(passage) * room // cost - 20, 0)]  # characters in proportion to the tokens left
            cost = room
        parts.append(passage)
        citations.append(Citation(number, hit.file_id, hit.file_name, hit.page, quote(hit.text)))
        used += cost
    return Knowledge("\n\n".join(parts), citations)

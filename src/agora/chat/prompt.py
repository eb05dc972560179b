"""Prompt composition: platform preamble, the GPT's instructions, and as much history as fits.

History is taken newest first until the model's context window (minus room for the
reply) is full; the count of older messages left out is recorded on the reply.
The instructions live only here and in the provider request, never in what the browser gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from agora.errors import InvalidInput
from agora.gpts.content import GptContent
from agora.i18n import LANGUAGE_NAMES
from agora.i18n import gettext as _
from agora.providers.base import Provider


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, Any]]
    prompt_tokens: int
    omitted: int


def preamble(*, today: date, language: str, gpt_name: str) -> str:
    # Written in English whatever the interface language: small models follow it best,
    # and it says which language to answer in.
    return (
        f"You are {gpt_name}, an assistant on Agora. Today is {today.isoformat()}. "
        f"The user's interface language is {LANGUAGE_NAMES.get(language, language)}; answer in the language they write in."
    )


def compose(
    *,
    provider: Provider,
    model: str,
    content: GptContent,
    language: str,
    history: list[dict[str, str]],
    reply_tokens: int,
    today: date,
) -> Prompt:
    """`history` is the conversation so far, oldest first, ending with the user's message."""
    instructions = str(content.text("instructions", language)).strip()
    system_text = preamble(today=today, language=language, gpt_name=str(content.text("name", language)))
    if instructions:
        system_text += "\n\n" + instructions
    system = {"role": "system", "content": system_text}
    budget = provider.context_window(model) - reply_tokens
    used = provider.count_tokens([system], model)
    kept: list[dict[str, str]] = []
    for message in reversed(history):
        cost = provider.count_tokens([message], model)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    if not kept:
        latest = provider.count_tokens([history[-1]], model)
        raise InvalidInput(
            _(
                "This message is too long for the model: about %(tokens)s tokens, and at most %(limit)s fit. Shorten it.",
                tokens=latest,
                limit=max(budget - provider.count_tokens([system], model), 0),
            ),
            field="content",
        )
    kept.reverse()
    return Prompt(messages=[system, *kept], prompt_tokens=used, omitted=len(history) - len(kept))

"""Reading the bundled LobeHub catalogue and turning an entry into GPT content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from agora.gpts import content as limits
from agora.gpts.content import GptContent, LocalizedText, is_emoji_avatar
from agora.gpts.formats import CATEGORY_MAP


@dataclass(frozen=True)
class Entry:
    identifier: str
    author: str
    homepage: str
    created_at: datetime
    content: GptContent

    @property
    def source(self) -> str:
        return f"lobehub:{self.identifier}"


def entries() -> Iterator[Entry]:
    with resources.files("agora.demo").joinpath("data/agents.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield to_entry(json.loads(line))


def count() -> int:
    with resources.files("agora.demo").joinpath("data/agents.jsonl").open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def to_entry(record: dict) -> Entry:
    en, fr = record["en"], record.get("fr") or {}
    content = GptContent(
        name=fit(en["title"], limits.MAX_NAME),
        description=fit(en["description"], limits.MAX_DESCRIPTION),
        instructions=fit(en["instructions"], limits.MAX_INSTRUCTIONS),
        welcome_message=fit(en.get("opening_message") or "", limits.MAX_WELCOME),
        starters=_starters(en.get("conversation_starters")),
        avatar=_avatar(record.get("avatar")),
        category=CATEGORY_MAP.get(record["category"], "productivity"),
        tags=[fit(tag, limits.MAX_TAG) for tag in record.get("tags", [])][: limits.MAX_TAGS],
        language="en",
        localized={"fr": _localized(fr)} if fr.get("title") else {},
    )
    created = datetime.fromisoformat(record["created_at"]).replace(tzinfo=UTC)
    return Entry(record["identifier"], record["author"], record.get("homepage") or "", created, content)


def _avatar(avatar: str | None) -> str:
    """The entry's emoji. A few entries point at remote images (or a browser's blob: URL)
    instead: a store page must not make every visitor's browser call third-party hosts,
    so those get the default."""
    return avatar if avatar and is_emoji_avatar(avatar) else "🤖"


def _localized(text: dict) -> LocalizedText:
    return LocalizedText(
        name=fit(text.get("title", ""), limits.MAX_NAME),
        description=fit(text.get("description", ""), limits.MAX_DESCRIPTION),
        instructions=fit(text.get("instructions", ""), limits.MAX_INSTRUCTIONS),
        welcome_message=fit(text.get("opening_message") or "", limits.MAX_WELCOME),
        starters=_starters(text.get("conversation_starters")),
    )


def _starters(starters: list[str] | None) -> list[str]:
    return [fit(s, limits.MAX_STARTER) for s in (starters or []) if s.strip()][: limits.MAX_STARTERS]


def fit(text: str, limit: int) -> str:
    """The text within `limit` characters: a few catalogue entries are longer than Agora
    allows (a two-line title, 25,000-character instructions). Names collapse to their first
    line; anything still too long is cut at a word boundary and marked with an ellipsis."""
    text = text.strip()
    if limit <= limits.MAX_NAME:
        text = " ".join(text.splitlines()[0].split()) if text else ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"

"""What a GPT *is*: the content held by its draft and by each published version.

The same shape is stored as JSON in both places, so publishing is a copy, a diff is a
field-by-field comparison and export is a dump. Limits live here, once.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from agora.inputs import Text

LANGUAGES = ("en", "fr")
MAX_NAME = 60
MAX_DESCRIPTION = 300
MAX_INSTRUCTIONS = 8000
MAX_WELCOME = 1000
MAX_STARTERS = 4
MAX_STARTER = 300
MAX_TAGS = 20
MAX_TAG = 40
MAX_EMOJI = 16
# Knowledge passages' size bounds, in tokens (the anchors' default is 800 with 400 of overlap).
MIN_CHUNK_TOKENS = 50
MAX_CHUNK_TOKENS = 4000
# An uploaded avatar: content-addressed, so the same picture is stored once and cached forever.
UPLOADED_AVATAR = re.compile(r"^/uploads/avatars/[0-9a-f]{64}\.webp$")

Visibility = Literal["private", "link", "workspace", "public"]
VISIBILITIES: tuple[str, ...] = ("private", "link", "workspace", "public")


Starter = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=MAX_STARTER)]
Tag = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=MAX_TAG)]


def is_emoji_avatar(avatar: str) -> bool:
    """A few characters drawn in place; never a URL, so pages never call other hosts."""
    return 0 < len(avatar) <= MAX_EMOJI and not any(c in avatar for c in ":/\\<>") and not avatar.isascii()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocalizedText(Strict):
    """A translation of the user-facing texts; empty fields fall back to the main text."""

    name: Text = Field("", max_length=MAX_NAME)
    description: Text = Field("", max_length=MAX_DESCRIPTION)
    instructions: Text = Field("", max_length=MAX_INSTRUCTIONS)
    welcome_message: Text = Field("", max_length=MAX_WELCOME)
    starters: list[Starter] = Field(default_factory=list, max_length=MAX_STARTERS)

    @field_validator("starters")
    @classmethod
    def _no_empty_starters(cls, starters: list[str]) -> list[str]:
        return [s for s in starters if s]


class Capabilities(Strict):
    web_search: bool = False
    maps: bool = False
    knowledge: bool = False
    actions: bool = False
    # The built-in exact calculator (agora.tools.calculator), offered to models that can call tools.
    calculator: bool = False


class GptContent(Strict):
    name: Text = Field(min_length=1, max_length=MAX_NAME)
    description: Text = Field("", max_length=MAX_DESCRIPTION)
    instructions: Text = Field("", max_length=MAX_INSTRUCTIONS)
    welcome_message: Text = Field("", max_length=MAX_WELCOME)
    starters: list[Starter] = Field(default_factory=list, max_length=MAX_STARTERS)
    # An emoji, or the path of an uploaded picture (see agora.gpts.avatars).
    avatar: Text = Field("🤖", max_length=200)
    category: Text = Field("productivity", max_length=40)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    # The language the main texts are written in; other languages live in `localized`.
    language: Literal["en", "fr"] = "en"
    localized: dict[Literal["en", "fr"], LocalizedText] = Field(default_factory=dict)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    model: Text | None = Field(None, max_length=100)
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, ge=0, le=1)
    hide_instructions: bool = False
    # Users may download the files the GPT cites (off by default). Never with hidden instructions: a GPT that keeps its
    # instructions private keeps its files private too (neither leaves the server whole).
    knowledge_downloads: bool = False
    # Stop a reply that repeats more than AGORA_LEAK_FILTER_WORDS consecutive words of the instructions (agora.replies.leaks).
    leak_filter: bool = False
    # How the draft's knowledge files are cut into passages (agora.knowledge), in tokens; None: the store's default
    # (AGORA_KNOWLEDGE_CHUNK_TOKENS / AGORA_KNOWLEDGE_CHUNK_OVERLAP). A change cuts the draft's files again; published
    # versions keep the passages they were published with.
    knowledge_chunk_tokens: int | None = Field(None, ge=MIN_CHUNK_TOKENS, le=MAX_CHUNK_TOKENS)
    knowledge_chunk_overlap: int | None = Field(None, ge=0, le=MAX_CHUNK_TOKENS - 1)

    @field_validator("knowledge_chunk_overlap")
    @classmethod
    def _overlap_under_size(cls, overlap: int | None, info: ValidationInfo) -> int | None:
        size = info.data.get("knowledge_chunk_tokens")
        if overlap is not None and size is not None and overlap >= size:
            raise ValueError(f"the overlap ({overlap}) must be smaller than the passages ({size} tokens)")
        return overlap

    def chunking(self, default_tokens: int, default_overlap: int) -> tuple[int, int]:
        """Passage size and overlap in tokens: the GPT's own, else the store's defaults given (validation.check_chunking checks the pair)."""
        size = default_tokens if self.knowledge_chunk_tokens is None else self.knowledge_chunk_tokens
        return size, default_overlap if self.knowledge_chunk_overlap is None else self.knowledge_chunk_overlap

    @field_validator("knowledge_downloads")
    @classmethod
    def _no_downloads_with_hidden_instructions(cls, downloads: bool, info: ValidationInfo) -> bool:
        if downloads and info.data.get("hide_instructions"):
            raise ValueError("a GPT with hidden instructions keeps its files private: show the instructions or turn file downloads off")
        return downloads

    @field_validator("starters", "tags")
    @classmethod
    def _no_empty_items(cls, items: list[str]) -> list[str]:
        return [item for item in items if item]

    @field_validator("avatar")
    @classmethod
    def _avatar_is_emoji_or_upload(cls, avatar: str) -> str:
        if not (is_emoji_avatar(avatar) or UPLOADED_AVATAR.match(avatar)):
            raise ValueError(f"use an emoji (at most {MAX_EMOJI} characters) or upload a picture")
        return avatar

    def written_in(self, language: str) -> bool:
        """Readable in `language`: its main language, or a translation with a name or a description
        (an empty translation, all its fields blank, is no translation: it only falls back to the main text)."""
        translated = self.localized.get(language)  # type: ignore[call-overload]
        return language == self.language or (translated is not None and bool(translated.name.strip() or translated.description.strip()))

    def text(self, field: str, language: str) -> str | list[str]:
        """A user-facing text in `language` when translated, else the main text."""
        if language != self.language:
            translated = self.localized.get(language)  # type: ignore[call-overload]
            if translated is not None and getattr(translated, field):
                return getattr(translated, field)
        return getattr(self, field)

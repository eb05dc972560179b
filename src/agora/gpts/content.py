"""What a GPT *is*: the content held by its draft and by each published version.

The same shape is stored as JSON in both places, so publishing is a copy, a diff is a
field-by-field comparison and export is a dump. Limits live here, once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LANGUAGES = ("en", "fr")
MAX_NAME = 60
MAX_DESCRIPTION = 300
MAX_INSTRUCTIONS = 8000
MAX_WELCOME = 1000
MAX_STARTERS = 4
MAX_STARTER = 300
MAX_TAGS = 20
MAX_TAG = 40

Visibility = Literal["private", "link", "workspace", "public"]
VISIBILITIES: tuple[str, ...] = ("private", "link", "workspace", "public")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocalizedText(Strict):
    """A translation of the user-facing texts; empty fields fall back to the main text."""

    name: str = Field("", max_length=MAX_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    instructions: str = Field("", max_length=MAX_INSTRUCTIONS)
    welcome_message: str = Field("", max_length=MAX_WELCOME)
    starters: list[str] = Field(default_factory=list, max_length=MAX_STARTERS)


class Capabilities(Strict):
    web_search: bool = False
    maps: bool = False
    knowledge: bool = False
    actions: bool = False


class GptContent(Strict):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    instructions: str = Field("", max_length=MAX_INSTRUCTIONS)
    welcome_message: str = Field("", max_length=MAX_WELCOME)
    starters: list[str] = Field(default_factory=list, max_length=MAX_STARTERS)
    avatar: str = Field("🤖", max_length=200)
    category: str = Field("productivity", max_length=40)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    # The language the main texts are written in; other languages live in `localized`.
    language: Literal["en", "fr"] = "en"
    localized: dict[Literal["en", "fr"], LocalizedText] = Field(default_factory=dict)
    capabilities: Capabilities = Field(default_factory=Capabilities)
    model: str | None = Field(None, max_length=100)
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, ge=0, le=1)
    hide_instructions: bool = False

    @field_validator("starters")
    @classmethod
    def _starters_fit(cls, starters: list[str]) -> list[str]:
        for starter in starters:
            if len(starter) > MAX_STARTER:
                raise ValueError(f"each starter must be at most {MAX_STARTER} characters")
        return [s for s in starters if s]

    @field_validator("tags")
    @classmethod
    def _tags_fit(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if len(tag) > MAX_TAG:
                raise ValueError(f"each tag must be at most {MAX_TAG} characters")
        return tags

    def text(self, field: str, language: str) -> str | list[str]:
        """A user-facing text in `language` when translated, else the main text."""
        if language != self.language:
            translated = self.localized.get(language)  # type: ignore[call-overload]
            if translated is not None and getattr(translated, field):
                return getattr(translated, field)
        return getattr(self, field)

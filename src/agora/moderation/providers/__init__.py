"""Moderation providers: what screens a GPT's texts against the content policy, found by name (AGORA_MODERATION_PROVIDER).

A provider is a factory registered under the entry point group `agora.moderation_providers`
(pyproject.toml): `create(settings)` returns an object whose `screen(texts)` gives one Screening per
text, with the flagged categories among OpenAI's (agora.moderation.categories.CATEGORIES).
Agora ships `builtin` (offline) and `openai` (any /v1/moderations endpoint); a plugin adds its own
the same way, for instance a guard model behind its own server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol

from agora.config import Settings

GROUP = "agora.moderation_providers"


class ProviderUnavailable(Exception):
    """The provider could not screen now (its server is down, slow or refused); the message says which and why."""


@dataclass(frozen=True)
class Screening:
    """One text's verdict: the categories it was flagged for, each with the provider's score (0 to 1)."""

    categories: dict[str, float] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return bool(self.categories)


class Provider(Protocol):
    name: str

    def screen(self, texts: Sequence[str]) -> list[Screening]:
        """One Screening per text, in order; raises ProviderUnavailable when it cannot tell."""
        ...


Factory = Callable[[Settings], Provider]
_lock = threading.Lock()
_made: dict[tuple, Provider] = {}


def available() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def provider_for(settings: Settings) -> Provider:
    """The configured provider, made once per configuration (the built-in one loads its classifier once)."""
    name = settings.moderation_provider
    key = (name, settings.moderation_base_url, settings.moderation_api_key, settings.moderation_model,
           settings.moderation_timeout_seconds, settings.moderation_profanity_threshold)
    with _lock:
        if key not in _made:
            found = entry_points(group=GROUP, name=name)
            if not found:
                raise LookupError(f"no moderation provider named {name!r} is installed (installed: {', '.join(available()) or 'none'});"
                                  " check AGORA_MODERATION_PROVIDER")
            factory: Factory = next(iter(found)).load()
            _made[key] = factory(settings)
        return _made[key]

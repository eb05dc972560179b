"""Finding providers: the ``agora.providers`` entry-point group maps a name to a factory.

A factory takes the Settings and returns a Provider. Agora registers its own two in
pyproject.toml the same way a third-party package would, so both paths stay exercised.
The same factories build the providers an admin configures (agora.providers.catalog), with
that row's values in the Settings they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from agora.config import Settings
from agora.providers.base import Provider

GROUP = "agora.providers"

Factory = Callable[[Settings], Provider]


def available() -> dict[str, Factory]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}  # type: ignore[misc]


def create(name: str, settings: Settings) -> Provider:
    found = entry_points(group=GROUP, name=name)
    if not found:
        names = ", ".join(sorted(available())) or "none"
        raise LookupError(f"no LLM provider named {name!r} is installed (installed: {names}); check AGORA_CHAT_PROVIDER or the kinds in /admin/providers")
    factory: Factory = next(iter(found)).load()
    return factory(settings)

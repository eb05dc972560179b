"""What the admin page shows about each provider: never a key, only whether one is set and how it ends."""

from __future__ import annotations

from dataclasses import dataclass

from agora.config import Settings
from agora.providers import configs, encryption
from agora.providers.catalog import Source, default_model
from agora.providers.models import ProviderConfig

HINT_CHARS = 4
# Shorter keys show no ending at all: four characters of an eight-character key give too much away.
HINT_MIN_LENGTH = 12


@dataclass(frozen=True)
class ProviderView:
    id: int | None  # None: the provider the AGORA_ settings configure (read-only)
    name: str
    kind: str
    base_url: str
    models: list[str]
    context_tokens: int | None
    timeout_seconds: float | None
    enabled: bool
    key_state: str  # "none", "set" or "unreadable" (encrypted with another secret key)
    key_ending: str
    problem: str


@dataclass(frozen=True)
class Overview:
    providers: list[ProviderView]
    offered: list[str]
    default: str | None  # the model that answers when a GPT names none
    chosen: str | None  # what the admin chose, which may no longer be offered
    conflicts: dict[str, list[str]]  # a model more than one provider lists: the first answers


def key_state(row: ProviderConfig, secret_key: str) -> tuple[str, str]:
    try:
        key = configs.api_key(row, secret_key)
    except encryption.KeyUnreadable:
        return "unreadable", ""
    if key is None:
        return "none", ""
    return "set", key[-HINT_CHARS:] if len(key) >= HINT_MIN_LENGTH else ""


def row_view(row: ProviderConfig, secret_key: str, source: Source | None) -> ProviderView:
    state, ending = key_state(row, secret_key)
    problem = source.problem if source is not None and state != "unreadable" else ""
    return ProviderView(row.id, row.name, row.kind, row.base_url, list(row.models), row.context_tokens, row.timeout_seconds,
                        row.enabled, state, ending, problem)


def settings_view(settings: Settings, source: Source) -> ProviderView:
    remote = settings.chat_provider == "openai"
    context = None
    if source.provider is not None and source.models:
        context = source.provider.context_window(source.models[0])
    return ProviderView(
        None, "AGORA_CHAT_PROVIDER", settings.chat_provider, settings.openai_base_url if remote else "", list(source.models),
        context, settings.openai_timeout_seconds if remote else None, True,
        ("set" if settings.openai_api_key else "none") if remote else "none", "", source.problem,
    )


def build(rows: list[ProviderConfig], sources: list[Source], *, chosen: str | None, settings: Settings, secret_key: str) -> Overview:
    by_name = {source.name: source for source in sources}
    views = [row_view(row, secret_key, by_name.get(row.name)) for row in rows]
    views.append(settings_view(settings, by_name[None]))
    listed: dict[str, list[str]] = {}
    for source in sources:
        for model in source.models:
            listed.setdefault(model, []).append(source.name or "AGORA_CHAT_PROVIDER")
    return Overview(
        providers=views,
        offered=list(listed),
        default=default_model(sources, chosen=chosen, settings=settings),
        chosen=chosen,
        conflicts={model: names for model, names in listed.items() if len(names) > 1},
    )

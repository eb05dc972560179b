"""Every provider chat and /v1 use, seen as one Provider: the models of all, each routed to its own.

The sources are the provider AGORA_CHAT_PROVIDER names (configured by settings) and the
enabled rows of the admin page. Each worker keeps a snapshot of them, and a thread of its
own compares the catalog's stamp in the database with the snapshot's every
RECHECK_SECONDS: an admin's change renews the stamp, so every worker picks it up within
seconds, without a restart. The worker that made the change reloads at once (`invalidate`).

Requests only ever read the snapshot. `models()`, `context_window()` and `count_tokens()`
are called inside a reply's transaction; when they read the stamp themselves, with a second
session, a burst of sends that held every pooled connection (or SQLite's write lock) made
that read wait for the pool's 30 s timeout, and replies failed. Only the very first call
builds the snapshot, and `of_app` makes that happen in a request's dependencies, before
any transaction.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from agora.config import Settings
from agora.db import Database
from agora.i18n import gettext as _
from agora.providers import configs, encryption, registry
from agora.providers.base import CompletionRequest, Event, Provider, ProviderError
from agora.providers.models import ProviderConfig

log = logging.getLogger("agora.providers")
RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Source:
    """One provider as the runtime sees it: what it offers, or why it offers nothing."""

    name: str | None  # the admin row's name; None for the one the settings configure
    provider: Provider | None
    models: tuple[str, ...]
    problem: str = ""


@dataclass(frozen=True)
class Snapshot:
    stamp: str
    order: list[str]  # every offered model once, the default first
    routes: dict[str, Provider]
    fallback: Provider | None  # answers a model nobody lists (AGORA_CHAT_MODEL may name one)


def settings_for(row: ProviderConfig, settings: Settings, api_key: str | None) -> Settings:
    """The Settings a kind's entry-point factory reads, with the row's values in place of the AGORA_ ones."""
    if row.kind == "openai":
        return settings.model_copy(update={
            "openai_base_url": row.base_url, "openai_api_key": api_key, "openai_models": ",".join(row.models),
            "openai_context_tokens": row.context_tokens, "openai_timeout_seconds": row.timeout_seconds,
        })
    if row.kind == "local":
        return settings.model_copy(update={"local_context_tokens": row.context_tokens})
    return settings  # a plugin's kind reads its own settings; the row picks which of its models are offered


def default_model(sources: list[Source], *, chosen: str | None, settings: Settings) -> str | None:
    """The admin's choice, else AGORA_CHAT_MODEL, else the settings provider's first model, else any."""
    offered = [m for source in sources for m in source.models]
    from_settings = [m for source in sources if source.name is None for m in source.models]
    for candidate in (chosen, settings.chat_model, *from_settings[:1], *offered[:1]):
        if candidate and candidate in offered:
            return candidate
    return None


class Catalog:
    name = "catalog"

    def __init__(self, *, settings: Settings, database: Database, secret_key: str, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.settings, self.database, self.secret_key = settings, database, secret_key
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._closed = threading.Event()
        self._built: dict[tuple, Provider] = {}  # by configuration: an unchanged row keeps its client
        self._from_settings: Source | None = None
        self._settings_error: Exception | None = None

    def invalidate(self) -> None:
        """This worker changed the configuration (its transaction is over): reload now, for its next request."""
        self.refresh()

    def refresh(self) -> None:
        """Compare the stamp with the snapshot's and reload when it moved. Never call it inside a transaction."""
        with self._lock:
            self._snapshot = self._reload(self._snapshot)

    def sources(self) -> list[Source]:
        """Fresh from the database: what each provider offers and why one offers nothing."""
        with self.database.session() as session:
            rows = configs.enabled_rows(session)
        with self._lock:
            return [self._source(row) for row in rows] + [self._settings_source()]

    # ---- the Provider interface ----

    def models(self) -> list[str]:
        order = self._current().order
        if not order and self._settings_error is not None:
            raise self._settings_error  # nothing configured anywhere: the settings' mistake is the news
        return list(order)

    def context_window(self, model: str) -> int:
        return self.provider_for(model).context_window(model)

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        return self.provider_for(model).count_tokens(messages, model)

    def provider_for(self, model: str) -> Provider:
        """The provider that answers `model`, for what only it can say (such as whether it calls tools)."""
        return self._route(self._current(), model)

    def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        snapshot = self._snapshot or self._current()
        try:
            provider = self._route(snapshot, request.model)
        except ProviderError as error:
            return _refusal(error)
        # The provider's own stream, not a wrapper: closing or cancelling it reaches the provider directly.
        return provider.stream(request)

    async def aclose(self) -> None:
        self._closed.set()
        providers = list(self._built.values())
        if self._from_settings is not None and self._from_settings.provider is not None:
            providers.append(self._from_settings.provider)
        self._built.clear()
        for provider in providers:
            await provider.aclose()

    # ---- keeping the snapshot ----

    def _current(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            with self._lock:
                if self._snapshot is None:
                    self._snapshot = self._reload(None)
                    self._start_rechecking()
                snapshot = self._snapshot
        return snapshot

    def _start_rechecking(self) -> None:
        # Started on first use, so in the worker process that serves (threads do not survive a fork).
        # It holds the catalog weakly: a catalog nobody uses any more (tests make many) lets it end.
        def recheck(catalog_ref: weakref.ref, closed: threading.Event, seconds: float) -> None:
            while not closed.wait(seconds):
                catalog = catalog_ref()
                if catalog is None:
                    return
                try:
                    catalog.refresh()
                except Exception as error:  # noqa: BLE001 - the database may be down a moment: keep the snapshot, try again
                    log.warning("could not recheck the provider catalog: %s", error)
                del catalog

        threading.Thread(target=recheck, args=(weakref.ref(self), self._closed, self.recheck_seconds),
                         name="agora-provider-catalog", daemon=True).start()

    def _reload(self, previous: Snapshot | None) -> Snapshot:
        with self.database.session() as session:
            stamp = configs.stamp(session)
            if previous is not None and stamp == previous.stamp:
                return previous
            rows = configs.enabled_rows(session)
            chosen = configs.chosen_default(session)
        # The admin's providers first: a model both offer goes to the one configured most recently by hand.
        sources = [self._source(row) for row in rows] + [self._settings_source()]
        live = {self._fingerprint(row) for row in rows}
        self._built = {key: provider for key, provider in self._built.items() if key in live}
        routes: dict[str, Provider] = {}
        for source in sources:
            for model in source.models:
                routes.setdefault(model, source.provider)  # type: ignore[arg-type]
        default = default_model(sources, chosen=chosen, settings=self.settings)
        order = ([default] if default else []) + [m for m in routes if m != default]
        fallback = self._from_settings.provider if self._from_settings else None
        return Snapshot(stamp, order, routes, fallback or (routes[default] if default else None))

    def _source(self, row: ProviderConfig) -> Source:
        try:
            key = configs.api_key(row, self.secret_key)
        except encryption.KeyUnreadable:
            log.warning("the API key of provider %s was encrypted with another secret key: enter it again in /admin/providers", row.name)
            return Source(row.name, None, (), "key unreadable")
        fingerprint = self._fingerprint(row)
        provider = self._built.get(fingerprint)
        try:
            if provider is None:
                provider = registry.create(row.kind, settings_for(row, self.settings, key))
                self._built[fingerprint] = provider
            return Source(row.name, provider, tuple(row.models or provider.models()))
        except Exception as error:  # noqa: BLE001 - one broken provider must not take the others down
            log.warning("provider %s is unavailable: %s", row.name, error)
            return Source(row.name, None, (), str(error))

    def _settings_source(self) -> Source:
        if self._from_settings is None:
            try:
                provider = registry.create(self.settings.chat_provider, self.settings)
                self._from_settings = Source(None, provider, tuple(provider.models()))
            except Exception as error:  # noqa: BLE001 - a plugin may raise anything; the admin pages show it
                log.warning("the provider AGORA_CHAT_PROVIDER names is unavailable: %s", error)
                self._settings_error = error
                self._from_settings = Source(None, None, (), str(error))
        return self._from_settings

    @staticmethod
    def _fingerprint(row: ProviderConfig) -> tuple:
        # The encrypted key stands for the key: re-entering the same key changes it, which only costs a new client.
        return (row.id, row.kind, row.base_url, row.api_key_encrypted, tuple(row.models), row.context_tokens, row.timeout_seconds)

    def _route(self, snapshot: Snapshot, model: str) -> Provider:
        provider = snapshot.routes.get(model) or snapshot.fallback
        if provider is None:
            raise ProviderError(_("No provider offers the model %(model)s; an administrator can add one in /admin/providers.", model=model),
                                kind="unreachable")
        return provider


async def _refusal(error: ProviderError) -> AsyncIterator[Event]:
    """A stream that fails when first read, as a provider that refuses does."""
    nothing: tuple[Event, ...] = ()
    for event in nothing:
        yield event
    raise error


def of_app(state: Any) -> Catalog:
    """The application's catalog, made on first use; the admin pages read and invalidate it."""
    existing = getattr(state, "provider_catalog", None)
    # Settings never change in a running server; tests swap them, and then get a catalog that follows.
    if existing is None or existing.settings is not state.settings:
        existing = Catalog(settings=state.settings, database=state.database, secret_key=state.secret_key)
        existing._current()  # the first snapshot: here, in a dependency, rather than inside a reply's transaction
        state.provider_catalog = existing
    return existing


def ready(state: Any) -> Provider | None:
    """What `chat_provider` would answer, when it has nothing to build or read first; else None.

    An event loop may call this one: it never touches the database.
    """
    installed = getattr(state, "chat_provider", None)
    if isinstance(installed, Catalog) and (installed.settings is not state.settings or installed is not getattr(state, "provider_catalog", None)):
        return None
    return installed


def chat_provider(state: Any) -> Provider:
    """What chats and /v1 call: the catalog, unless something (a test) installed a provider of its own."""
    installed = getattr(state, "chat_provider", None)
    if installed is None or isinstance(installed, Catalog):
        state.chat_provider = of_app(state)
    return state.chat_provider

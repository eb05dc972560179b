"""What /v1 shares with the rest of the application: settings, database, chat provider, limiter, caches, usage writer.

They live on the main application's state, read on every request so that swapping one
there (tests do) reaches /v1. Reading them never touches the database, except building
the provider catalog the first time (in the thread pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio

from agora.api.openai.callers import CallerCache
from agora.api.openai.key_plans import KeyPlans
from agora.config import Settings
from agora.db import Database
from agora.metering.writer import UsageWriter, writer_for
from agora.providers import catalog
from agora.providers.base import Provider
from agora.ratelimit import Limiter, make_limiter


@dataclass(frozen=True)
class V1State:
    settings: Settings
    database: Database
    provider: Provider
    limiter: Limiter
    plans: KeyPlans
    callers: CallerCache
    usage: UsageWriter


async def v1_state(state: Any) -> V1State:
    """The state of the main application `state` as /v1 uses it, made on first use."""
    # Like the chat's provider (agora.chat.deps), and shared with the chat.
    provider = catalog.ready(state)
    if provider is None:
        provider = await anyio.to_thread.run_sync(catalog.chat_provider, state)
    if getattr(state, "api_limiter", None) is None:
        state.api_limiter = make_limiter(state.settings)
    # The caches are the application's (made by create_app, cleared with the others).
    caches = state.caches
    return V1State(state.settings, state.database, provider, state.api_limiter, caches.api_plans, caches.api_callers, writer_for(state))

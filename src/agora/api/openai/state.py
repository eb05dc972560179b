"""What /v1 shares with the rest of the application: settings, database, chat provider, limiter, key plans.

/v1 is a mounted sub-application (so its errors have OpenAI's shape); these live on the main
application's state, read on every request so that swapping one there (tests do) reaches /v1.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from agora.config import Settings
from agora.db import Database
from agora.providers import catalog
from agora.providers.base import Provider
from agora.ratelimit import Limiter, make_limiter
from agora.ratelimit.policy import KeyPlans


@dataclass(frozen=True)
class V1State:
    settings: Settings
    database: Database
    provider: Provider
    limiter: Limiter
    plans: KeyPlans


def v1_state(request: Request) -> V1State:
    state = request.app.state.main.state
    # Made on first use, like the chat's provider (agora.chat.deps), and shared with the chat.
    catalog.chat_provider(state)
    if getattr(state, "api_limiter", None) is None:
        state.api_limiter = make_limiter(state.settings)
    if getattr(state, "api_plans", None) is None:
        state.api_plans = KeyPlans()
    return V1State(state.settings, state.database, state.chat_provider, state.api_limiter, state.api_plans)

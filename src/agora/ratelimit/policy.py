"""How much a key may use: the one function the plans (billing) replace to set limits per plan.

Until then every key gets the operator's defaults from the settings.
"""

from __future__ import annotations

from agora.accounts.api_keys import KeyHolder
from agora.config import Settings
from agora.ratelimit.buckets import Limits


def limits_for(holder: KeyHolder, settings: Settings) -> Limits:
    return Limits(requests_per_minute=settings.api_requests_per_minute, tokens_per_minute=settings.api_tokens_per_minute)

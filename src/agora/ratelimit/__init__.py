"""Per-key rate limits: requests and tokens per minute, as token buckets.

One process keeps its buckets in memory (`local.LocalLimiter`); with AGORA_REDIS_URL
they live in Redis (`redis_limiter.RedisLimiter`) so every worker and machine shares them,
and each process falls back to buckets of its own while Redis does not answer.
"""

from __future__ import annotations

from agora.config import Settings
from agora.ratelimit.buckets import Decision, Limiter, Limits


def make_limiter(settings: Settings) -> Limiter:
    if settings.redis_url:
        from agora.ratelimit.redis_limiter import RedisLimiter

        return RedisLimiter(settings.redis_url)
    from agora.ratelimit.local import LocalLimiter

    return LocalLimiter()


__all__ = ["Decision", "Limiter", "Limits", "make_limiter"]

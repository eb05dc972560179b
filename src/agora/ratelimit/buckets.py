"""The token-bucket arithmetic and the shapes both limiters share.

Each key has two buckets that refill continuously over a minute: one counts requests, one
counts model tokens. A request needs one request token and, up front, its prompt's tokens;
the reply's tokens are charged when it ends, so a bucket may go into debt (down to minus
its size) and the next requests wait for it to refill. That keeps a key to its tokens per
minute without knowing a reply's length in advance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

WINDOW_MS = 60_000


@dataclass(frozen=True)
class Limits:
    requests_per_minute: int
    tokens_per_minute: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limits: Limits
    requests_left: float  # after this request, when allowed
    tokens_left: float

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds until a refused request could pass (at least 1)."""
        wait_requests = _refill_ms(max(1 - self.requests_left, 0), self.limits.requests_per_minute)
        wait_tokens = _refill_ms(max(-self.tokens_left, 0), self.limits.tokens_per_minute)
        return max(1, math.ceil(max(wait_requests, wait_tokens) / 1000))

    def headers(self) -> dict[str, str]:
        """OpenAI's x-ratelimit-* headers; reset is the time until the bucket is full again."""
        limits = self.limits
        return {
            "x-ratelimit-limit-requests": str(limits.requests_per_minute),
            "x-ratelimit-remaining-requests": str(max(int(self.requests_left), 0)),
            "x-ratelimit-reset-requests": duration(_refill_ms(limits.requests_per_minute - self.requests_left, limits.requests_per_minute)),
            "x-ratelimit-limit-tokens": str(limits.tokens_per_minute),
            "x-ratelimit-remaining-tokens": str(max(int(self.tokens_left), 0)),
            "x-ratelimit-reset-tokens": duration(_refill_ms(limits.tokens_per_minute - self.tokens_left, limits.tokens_per_minute)),
        }


class Limiter(Protocol):
    async def acquire(self, bucket: str, limits: Limits, tokens: int) -> Decision:
        """Take one request and `tokens` tokens, or refuse without taking anything."""
        ...

    async def charge(self, bucket: str, limits: Limits, tokens: int) -> None:
        """Take tokens used after the request was allowed (the reply's)."""
        ...

    async def aclose(self) -> None: ...


def refill(level: float, capacity: int, elapsed_ms: float) -> float:
    return min(float(capacity), level + elapsed_ms * capacity / WINDOW_MS)


def take(requests: float, tokens: float, limits: Limits, cost: int) -> tuple[bool, float, float]:
    """The levels after taking one request and `cost` tokens from refilled buckets.

    A prompt larger than the whole bucket only needs a full bucket, else it could never pass.
    """
    needed = min(cost, limits.tokens_per_minute)
    if requests < 1 or tokens < needed:
        return False, requests, tokens
    return True, requests - 1, tokens - cost


def floor_debt(tokens: float, limits: Limits) -> float:
    return max(tokens, -float(limits.tokens_per_minute))


def _refill_ms(missing: float, per_minute: int) -> float:
    return max(missing, 0) * WINDOW_MS / per_minute


def duration(ms: float) -> str:
    """OpenAI's format: `20ms`, `1s`, `6m0s`."""
    if ms < 1000:
        return f"{math.ceil(ms)}ms"
    seconds = math.ceil(ms / 1000)
    return f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s"

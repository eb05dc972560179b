"""When a request to a model server is sent again, and after how long: one policy for streamed and whole replies.

Sent again: a connection that failed before the server answered, a 429, a 5xx. Not sent again:
a timeout (the person has already waited the whole of it), a 4xx other than 429 (the same
request would be refused the same way), a malformed answer, and anything after the server
began a reply with a success status (the caller may hold part of it: retrying would repeat it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from agora.providers.base import ProviderError

RETRIED_KINDS = frozenset({"unreachable", "rate_limited", "refused"})  # and only when `retryable` (a refusal: a 5xx)
FIRST_DELAY, LONGEST_DELAY = 0.5, 8.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    longest_wait: float  # a server asking to wait longer than this (Retry-After) is not asked again

    def wait(self, attempt: int, failure: ProviderError) -> float | None:
        """Seconds to wait before sending again after try number `attempt` (0: the first) failed so; None: give up."""
        if attempt >= self.max_retries or not failure.retryable or failure.kind not in RETRIED_KINDS:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.longest_wait else None
        return backoff(attempt)


def backoff(attempt: int) -> float:
    """Exponential (0.5, 1, 2, ... 8 s) with jitter: workers that failed together do not all come back together."""
    return min(FIRST_DELAY * 2.0**attempt, LONGEST_DELAY) * random.uniform(0.5, 1.0)


def server_wait(headers: Mapping[str, str]) -> float | None:
    """The wait a server asked for, in seconds: OpenAI's `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None  # neither: as if the server had not said

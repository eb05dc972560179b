"""Agora's Redis may go away: short timeouts, a pause between attempts, one log line each way.

Rate limits and message quotas use Redis when AGORA_REDIS_URL is set, and fall back when
it does not answer (docs/operations.md, "When Redis goes away"). Each use keeps an
`Outage`: after a failure it skips Redis for RETRY_SECONDS, so that during an outage a
request pays no timeout, only the fallback; it logs a warning when Redis stops answering
and a line when it answers again.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# Redis answers these scripts in well under a millisecond on a LAN; a request that waited
# longer would only wait for the fallback it gets anyway.
TIMEOUT_SECONDS = 0.5
RETRY_SECONDS = 5.0
# What a Redis that went away raises (redis-py wraps socket errors in ConnectionError;
# OSError for what it does not wrap).
FAILURES = (redis.RedisError, OSError)


def client(url: str, *, retries: int = 1) -> redis.Redis:
    # One retry: a pooled connection to a Redis that restarted fails once, then reconnects.
    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
                                retry=Retry(NoBackoff(), retries))


def async_client(url: str) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS,
                                        retry=AsyncRetry(NoBackoff(), 1))


def answers(url: str) -> bool:
    """Whether the Redis at `url` answers a PING now (for /readyz): within TIMEOUT_SECONDS,
    on a connection of its own, so that a probe's own timeout is not what answers."""
    connection = client(url, retries=0)
    try:
        return bool(connection.ping())
    except FAILURES:
        return False
    finally:
        connection.close()


class Outage:
    """Whether one use of Redis (limits, quotas) should try it now, and its log lines."""

    def __init__(self, use: str, clock=time.monotonic) -> None:
        self.use, self._clock = use, clock
        self._failed_at: float | None = None
        self._lock = threading.Lock()  # quotas are counted on the thread pool

    def skip(self) -> bool:
        """True less than RETRY_SECONDS after a failure: go straight to the fallback."""
        with self._lock:
            return self._failed_at is not None and self._clock() - self._failed_at < RETRY_SECONDS

    def failed(self, error: BaseException) -> None:
        with self._lock:
            began = self._failed_at is None
            self._failed_at = self._clock()
        if began:
            log.warning("Redis does not answer; %s fall back until it does", self.use, extra={"error": str(error)})

    def answered(self) -> None:
        with self._lock:
            ended = self._failed_at is not None
            self._failed_at = None
        if ended:
            log.info("Redis answers again; %s use it", self.use)

"""Buckets in Redis, shared by every worker and machine.

One Lua script refills and takes from both buckets atomically: Redis runs a script
alone, so two workers can never both spend the last request. The clock is Redis's own
(TIME), so machines whose clocks disagree still share one notion of "a minute".

When Redis does not answer, this process's own buckets take over (`LocalLimiter`): each
worker then allows a key its limits, so the key gets up to one set per worker. Limits
fail open that far, and no further; requests are never refused for Redis's sake.
"""

from __future__ import annotations

import redis.asyncio
from redis.commands.core import AsyncScript

from agora.ratelimit.buckets import WINDOW_MS, Decision, Limits
from agora.ratelimit.local import LocalLimiter
from agora.redis_outage import FAILURES, Outage, async_client

# KEYS[1]: the bucket's hash. ARGV: requests per minute, tokens per minute, tokens to take,
# mode ("acquire": one request and the tokens if both are there; "charge": tokens only, into debt).
SCRIPT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rpm, tpm, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window = tonumber(ARGV[5])
local saved = redis.call('HMGET', KEYS[1], 'requests', 'tokens', 'at')
local requests, tokens = rpm, tpm
if saved[3] then
  local elapsed = math.max(now - tonumber(saved[3]), 0)
  requests = math.min(rpm, tonumber(saved[1]) + elapsed * rpm / window)
  tokens = math.min(tpm, tonumber(saved[2]) + elapsed * tpm / window)
end
local allowed = 1
if ARGV[4] == 'acquire' then
  if requests < 1 or tokens < math.min(cost, tpm) then
    allowed = 0
  else
    requests = requests - 1
    tokens = tokens - cost
  end
else
  tokens = math.max(tokens - cost, -tpm)
end
redis.call('HSET', KEYS[1], 'requests', tostring(requests), 'tokens', tostring(tokens), 'at', tostring(now))
-- A bucket left alone refills completely within two windows (debt included): forget it then.
redis.call('PEXPIRE', KEYS[1], 2 * window)
return {allowed, tostring(requests), tostring(tokens)}
"""


class RedisLimiter:
    def __init__(self, url: str, *, prefix: str = "agora:ratelimit:") -> None:
        self._url = url
        self._prefix = prefix
        self._client: redis.asyncio.Redis | None = None
        self._script: AsyncScript | None = None
        self.outage = Outage("rate limits")
        self.fallback = LocalLimiter()

    def _run(self) -> AsyncScript:
        # Made on first use, inside the worker's event loop (an asyncio client belongs to one loop).
        if self._client is None or self._script is None:
            self._client = client = async_client(self._url)
            self._script = client.register_script(SCRIPT)
        return self._script

    async def _call(self, bucket: str, limits: Limits, tokens: int, mode: str) -> list | None:
        """The script's answer, or None when Redis does not answer (the fallback decides)."""
        if self.outage.skip():
            return None
        try:
            answer = await self._run()(keys=[self._prefix + bucket],
                                       args=[limits.requests_per_minute, limits.tokens_per_minute, tokens, mode, WINDOW_MS])
        except FAILURES as error:
            self.outage.failed(error)
            return None
        self.outage.answered()
        return answer

    async def acquire(self, bucket: str, limits: Limits, tokens: int) -> Decision:
        answer = await self._call(bucket, limits, tokens, "acquire")
        if answer is None:
            return await self.fallback.acquire(bucket, limits, tokens)
        allowed, requests, tokens_left = answer
        return Decision(bool(allowed), limits, float(requests), float(tokens_left))

    async def charge(self, bucket: str, limits: Limits, tokens: int) -> None:
        if await self._call(bucket, limits, tokens, "charge") is None:
            await self.fallback.charge(bucket, limits, tokens)

    async def aclose(self) -> None:
        await self.fallback.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

"""A whole (non-streamed) chat completion from an OpenAI-compatible server, over aiohttp directly.

`OpenAIProvider.complete` uses this for /v1's `stream: false` calls. The SDK's request
machinery (its type transforms, URL and header models, the httpx layer over aiohttp) took
three quarters of such a call's time in the gateway (docs/benchmarks.md: 508 µs against
126 µs for the same request sent with aiohttp). What the SDK gave is kept, the same way:
retries with exponential backoff on connection failures, 408, 409, 429 and 5xx (honouring
a Retry-After up to 60 s), the timeout between bytes, and the same ProviderError messages.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import aiohttp
import jiter

from agora.i18n import gettext as _
from agora.providers.base import ProviderError

RETRIED = {408, 409, 429}
FIRST_DELAY, LONGEST_DELAY, LONGEST_RETRY_AFTER = 0.5, 8.0, 60.0


class JsonClient:
    """POSTs to `<base_url>/chat/completions` and returns the parsed JSON reply; one aiohttp session, made on first use."""

    def __init__(self, *, base_url: str, api_key: str | None, timeout: float, max_retries: int) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.base_url, self.timeout, self.max_retries = base_url, timeout, max_retries
        self._headers = {"Authorization": f"Bearer {api_key or 'unused'}", "Content-Type": "application/json", "Accept": "application/json"}
        self._timeouts = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def post(self, arguments: dict[str, Any]) -> Any:
        """The reply's JSON, or ProviderError (the cause is the error that ended the last try)."""
        body = json.dumps(arguments).encode()
        session = self._session()
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                async with session.post(self.url, data=body, headers=self._headers, timeout=self._timeouts) as response:
                    raw = await response.read()
                    if response.status < 400:
                        return jiter.from_json(raw)
                    if last or not (response.status in RETRIED or response.status >= 500):
                        raise self._refused(response.status, raw, response.headers.get("retry-after"))
                    delay = _retry_after(response.headers.get("retry-after")) or _backoff(attempt)
            except ProviderError:
                raise
            except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors: /v1 answers them 504
                if last:
                    raise ProviderError(_("The model server at %(url)s did not answer in %(seconds)s s.")
                                        % {"url": self.base_url, "seconds": f"{self.timeout:g}"}, kind="timeout", retryable=True) from error
                delay = _backoff(attempt)
            except aiohttp.ClientConnectorError as error:
                if last:
                    raise ProviderError(_("Could not reach the model server at %(url)s.") % {"url": self.base_url}, kind="unreachable",
                                        retryable=True) from error
                delay = _backoff(attempt)
            except (aiohttp.ClientError, OSError) as error:
                if last:
                    raise ProviderError(_("The connection to the model server at %(url)s broke during the reply.") % {"url": self.base_url},
                                        kind="unreachable", retryable=True) from error
                delay = _backoff(attempt)
            except ValueError as error:  # not JSON
                raise ProviderError(_("The model server at %(url)s sent a malformed reply.") % {"url": self.base_url}, kind="bad_reply",
                                    retryable=True) from error
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _session(self) -> aiohttp.ClientSession:
        # Made inside the event loop that uses it (an aiohttp session belongs to one loop).
        if self.session is None:
            self.loop = asyncio.get_running_loop()
            self.session = aiohttp.ClientSession()
        return self.session

    def _refused(self, status: int, raw: bytes, retry_after: str | None) -> ProviderError:
        if status == 429:
            return ProviderError(_("The model server at %(url)s is busy (too many requests). Try again in a moment.") % {"url": self.base_url},
                                 kind="rate_limited", retryable=True, retry_after=_retry_after(retry_after))
        return ProviderError(
            _("The model server at %(url)s refused the request (HTTP %(status)s): %(detail)s")
            % {"url": self.base_url, "status": status, "detail": _detail(raw)},
            kind="refused", retryable=status >= 500,
        )

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    def close_soon(self) -> None:
        """Close the session on its own loop (from a finalizer, any thread)."""
        session, loop = self.session, self.loop
        if session is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(session.close()))


def _detail(raw: bytes) -> str:
    """The server's error message: OpenAI's `{"error": {"message"}}`, or what else it sent."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:300]
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else (body.get("message") if isinstance(body, dict) else None) or inner
    return str(message or body)[:300]


def _retry_after(header: str | None) -> float | None:
    try:
        seconds = float(header) if header else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 < seconds <= LONGEST_RETRY_AFTER else None


def _backoff(attempt: int) -> float:
    return min(FIRST_DELAY * 2.0**attempt, LONGEST_DELAY) * (1 - 0.25 * random.random())

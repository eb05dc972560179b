"""The HTTP client Agora owns for OpenAI-compatible model servers: one aiohttp session, one retry policy, one watchdog, one error type.

`OpenAIProvider` (openai_compat.py) sends every chat completion through a `ModelClient`:
`complete()` for a whole reply (one JSON body), `open_stream()` for a streamed one. Before
the server starts answering, 429, 5xx and failed connections are sent again (retry.py);
once it answers with a success status nothing is sent again, since the caller may already
hold part of the reply. Every failure becomes one `ProviderError` whose kind says what
happened and whose message names the server (`explain` and `refusal`, the only mappings).
"""

from __future__ import annotations

import asyncio
import json
from base64 import b64encode
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import jiter

from agora.i18n import gettext as _
from agora.providers.base import ProviderError
from agora.providers.retry import RetryPolicy, server_wait
from agora.providers.watchdog import Watchdog

# Connections a worker may hold to one server at once (as the SDK's 1,000): a chat stream
# holds one for the whole reply, and 1,000 conversations stream together through one worker
# (docs/benchmarks.md). Past it, a request waits for a free one, within the timeout.
CONNECTIONS = 1000
DETAIL_CHARACTERS = 300
# What sending a request can raise (timeouts are OSErrors too), and reading the answer (a body
# that is not JSON, or a chunk of a shape we cannot read: ValueErrors). Anything else is a
# bug of ours, which must not pass for the server's failure.
SENDING_FAILURES = (aiohttp.ClientError, OSError)
TALKING_FAILURES = (*SENDING_FAILURES, ValueError)


class ModelClient:
    """POSTs chat completions to `<base_url>/chat/completions`; one aiohttp session per event loop, made on first use."""

    def __init__(self, *, base_url: str, api_key: str | None, timeout: float, max_retries: int) -> None:
        self.base_url, self.timeout = base_url, timeout
        self.url = base_url.rstrip("/") + "/chat/completions"
        # Local servers (Ollama, vLLM, llama.cpp's) accept any key; OpenAI's wants the header either way.
        self._headers = {"Authorization": f"Bearer {api_key or 'unused'}", "Content-Type": "application/json"}
        self._proxy, credentials = env_proxy(self.url)
        self._proxy_headers = None
        if credentials and self.url.startswith("https:"):  # to the proxy alone, on the CONNECT that opens the tunnel
            self._proxy_headers = {"Proxy-Authorization": credentials}
        elif credentials:  # plain HTTP goes through the proxy as it is: the proxy reads the request's own headers
            self._headers["Proxy-Authorization"] = credentials
        self.policy = RetryPolicy(max_retries=max_retries, longest_wait=timeout)
        # A whole reply: aiohttp's own timer between reads (the body comes in a read or two).
        self._whole = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        # A stream: no timer of aiohttp's per read (re-armed on each, it cost the 1,000-stream
        # bench a timer handle per token); the answer's wait has a deadline of its own
        # (`_post`) and the body one watchdog per stream.
        self._streamed = aiohttp.ClientTimeout(total=None, sock_read=None)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def complete(self, payload: dict[str, Any]) -> Any:
        """The server's whole reply, parsed from JSON; or ProviderError."""
        response = await self._send(payload, stream=False)
        try:
            return jiter.from_json(await response.read())
        except TALKING_FAILURES as error:
            raise self.explain(error, answered=True) from error
        finally:
            response.release()

    async def open_stream(self, payload: dict[str, Any]) -> StreamedReply:
        """The server's streamed reply, once it answered with a success status; or ProviderError.

        The caller reads it (`read()`) and closes it (`close()`), also when cancelled: closing
        a reply that has not ended closes its connection, which tells the server to stop.
        """
        response = await self._send(payload, stream=True)
        return StreamedReply(response, self)

    async def _send(self, payload: dict[str, Any], *, stream: bool) -> aiohttp.ClientResponse:
        body = json.dumps(payload).encode()
        attempt = 0
        while True:
            try:
                response = await self._post(body, stream)
            except SENDING_FAILURES as error:
                failure = self.explain(error, answered=False)
                wait = self.policy.wait(attempt, failure)
                if wait is None:
                    raise failure from error
            else:
                if response.status < 400:
                    return response
                failure = await self._refusal(response)
                wait = self.policy.wait(attempt, failure)
                if wait is None:
                    raise failure
            attempt += 1
            await asyncio.sleep(wait)

    async def _post(self, body: bytes, stream: bool) -> aiohttp.ClientResponse:
        session = self._current_session()
        if not stream:
            return await session.post(self.url, data=body, headers=self._headers, timeout=self._whole, proxy=self._proxy,
                                      proxy_headers=self._proxy_headers)
        async with asyncio.timeout(self.timeout):  # until the server answers (its status and headers)
            return await session.post(self.url, data=body, headers=self._headers, timeout=self._streamed, proxy=self._proxy,
                                      proxy_headers=self._proxy_headers)

    async def _refusal(self, response: aiohttp.ClientResponse) -> ProviderError:
        """The error status `response` answered, as a ProviderError (its body read for the server's own words)."""
        try:
            raw = await response.read()
        except (aiohttp.ClientError, OSError):
            raw = b""
        finally:
            response.release()
        return refusal(self.base_url, response.status, raw, server_wait(response.headers))

    def explain(self, error: Exception, *, answered: bool) -> ProviderError:
        """`error`, raised while talking to the server, as a ProviderError; `answered`: after a success status."""
        return explain(error, base_url=self.base_url, timeout=self.timeout, answered=answered)

    def _current_session(self) -> aiohttp.ClientSession:
        # An aiohttp session belongs to the event loop that made it; one made on a loop that
        # has since closed (a test's, a worker's restart) cannot serve another.
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            # No cookies: a model server's API has no use for them, and the jar is work on every request and answer.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS), cookie_jar=aiohttp.DummyCookieJar())
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        else:
            self.close_soon()
        self._session = None

    def close_soon(self) -> None:
        """Close the session on its own loop, from any thread (a finalizer: the catalog drops providers it rebuilt)."""
        session, loop = self._session, self._loop
        if session is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: loop.create_task(session.close()))


class StreamedReply:
    """A streamed reply the server began: `read()` gives its body's next bytes (b"" at the end), under one watchdog.

    `read` is aiohttp's `readany` itself, with no layer between: it runs once per token. The
    caller counts each read in `watchdog.reads`; a stream with no read for the client's
    timeout fails its pending read with `Silent`.
    """

    __slots__ = ("_client", "_response", "read", "watchdog")

    def __init__(self, response: aiohttp.ClientResponse, client: ModelClient) -> None:
        self._response, self._client = response, client
        content = response.content
        self.read = content.readany
        self.watchdog = Watchdog(client.timeout)
        self.watchdog.start(content.set_exception)

    def failure(self, error: Exception) -> ProviderError:
        """What an error raised while reading this reply means, as a ProviderError."""
        return self._client.explain(error, answered=True)

    def close(self) -> None:
        """Stop the watchdog; give the connection back when the reply ended, else close it (the server sees the disconnect)."""
        self.watchdog.stop()
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


def env_proxy(url: str) -> tuple[str | None, str | None]:
    """The proxy HTTP_PROXY or HTTPS_PROXY names for `url` (unless NO_PROXY exempts its host), and its Proxy-Authorization.

    Read once per client, as the probe's httpx honours them: aiohttp's `trust_env` reads the
    environment again for every request, in a thread (0.4 ms a request here).
    """
    target = urlsplit(url)
    proxy = getproxies().get(target.scheme)
    if not proxy or proxy_bypass(target.hostname or ""):
        return None, None
    parts = urlsplit(proxy)
    if parts.username is None:
        return proxy, None
    host = parts.netloc.rpartition("@")[2]
    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return f"{parts.scheme}://{host}{parts.path}", "Basic " + b64encode(credentials).decode()


def explain(error: Exception, *, base_url: str, timeout: float, answered: bool) -> ProviderError:
    """The one mapping of a failure to talk to the server onto ProviderError (error statuses: `refusal`)."""
    url = {"url": base_url}
    # Timeouts by type: aiohttp's (ServerTimeoutError and its kin), asyncio.timeout's and the watchdog's are all TimeoutError.
    if isinstance(error, TimeoutError):
        return ProviderError(_("The model server at %(url)s did not answer in %(seconds)s s.") % {**url, "seconds": f"{timeout:g}"},
                             kind="timeout", retryable=True)
    if isinstance(error, (aiohttp.ClientConnectorError, aiohttp.InvalidURL)):  # refused, no route, unknown host, TLS, no URL
        return ProviderError(_("Could not reach the model server at %(url)s.") % url, kind="unreachable", retryable=True)
    # Not JSON, a chunk we cannot read (ValueErrors), or a status line or headers aiohttp could not read.
    if isinstance(error, ValueError) or (not answered and isinstance(error, aiohttp.ClientResponseError)):
        return ProviderError(_("The model server at %(url)s sent a malformed reply.") % url, kind="bad_reply", retryable=True)
    if answered:
        return ProviderError(_("The connection to the model server at %(url)s broke during the reply.") % url, kind="bad_reply",
                             retryable=True)
    # Connected, then dropped before any answer (the server closed or reset the connection).
    return ProviderError(_("The model server at %(url)s closed the connection without answering.") % url, kind="unreachable",
                         retryable=True)


def refusal(base_url: str, status: int, raw: bytes, retry_after: float | None) -> ProviderError:
    """The server answered `status` (>= 400) with the body `raw`."""
    url = {"url": base_url}
    if status == 429:
        return ProviderError(_("The model server at %(url)s is busy (too many requests). Try again in a moment.") % url,
                             kind="rate_limited", retryable=True, retry_after=retry_after)
    return ProviderError(_("The model server at %(url)s refused the request (HTTP %(status)s): %(detail)s")
                         % {**url, "status": status, "detail": server_detail(raw)},
                         kind="refused", retryable=status >= 500, retry_after=retry_after)


def server_detail(raw: bytes) -> str:
    """The server's own words: OpenAI's `{"error": {"message"}}`, a bare `{"message"}` or `{"error": "..."}`, else the body."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace").strip()[:DETAIL_CHARACTERS]
    inner = body.get("error") if isinstance(body, dict) else None
    message = inner.get("message") if isinstance(inner, dict) else (inner or (body.get("message") if isinstance(body, dict) else None))
    return str(message or body)[:DETAIL_CHARACTERS]

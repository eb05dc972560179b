"""httpx clients whose every connection goes through the guard: names judged per request and hop, addresses per connection.

The guard sits in httpcore's network backend, the one place a TCP connection is opened: it
resolves the host once, judges every address, and connects to the judged address itself,
while httpcore still speaks TLS to the *name* (SNI and certificate checks) and sends the
name as Host. Redirects are followed by httpx, at most MAX_REDIRECTS, each hop judged again.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from agora.config import Settings, get_settings
from agora.i18n import gettext as _
from agora.outbound.policy import Policy, Refused, Resolver

MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 30.0
SocketOptions = typing.Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, policy: Policy, inner: httpcore.NetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: SocketOptions | None = None) -> httpcore.NetworkStream:
        addresses = self._policy.resolve(host, port)
        failure: Exception | None = None
        for address in addresses:  # each one judged already: try them in the resolver's order
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve() never returns an empty list
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: SocketOptions | None = None) -> httpcore.NetworkStream:
        raise Refused(_("Unix sockets are never reached by outbound requests."), code="scheme")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: Policy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: SocketOptions | None = None) -> httpcore.AsyncNetworkStream:
        # The resolver may block (getaddrinfo): a worker thread keeps the event loop turning meanwhile.
        addresses = await anyio.to_thread.run_sync(self._policy.resolve, host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: SocketOptions | None = None) -> httpcore.AsyncNetworkStream:
        raise Refused(_("Unix sockets are never reached by outbound requests."), code="scheme")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guard's network backend; each request's URL (each redirect hop) judged first."""

    def __init__(self, policy: Policy, *, verify: ssl.SSLContext | bool = True,
                 network_backend: httpcore.NetworkBackend | None = None) -> None:
        super().__init__(verify=verify, trust_env=False)
        # httpx builds its pool without a way to pass a network backend: the same pool, rebuilt with ours.
        self._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(verify), network_backend=_GuardedBackend(policy, network_backend))
        self._policy = policy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._policy.check_url(request.url)
        return super().handle_request(request)


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    """The asynchronous GuardedTransport."""

    def __init__(self, policy: Policy, *, verify: ssl.SSLContext | bool = True,
                 network_backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=_ssl_context(verify),
                                                  network_backend=_AsyncGuardedBackend(policy, network_backend))
        self._policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._policy.check_url(request.url)
        return await super().handle_async_request(request)


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify)


def policy(settings: Settings | None = None, *, workspace_domains: Iterable[str] | None = None,
           resolver: Resolver | None = None) -> Policy:
    """The rules from the operator's settings, narrowed to a workspace's domain list when one is given."""
    return Policy.from_settings(settings or get_settings(), workspace_domains=workspace_domains, resolver=resolver)


def check_url(url: str, settings: Settings | None = None, *, workspace_domains: Iterable[str] | None = None,
              resolver: Resolver | None = None) -> httpx.URL:
    """Refused unless `url` could be fetched now: scheme, port, names and every address it resolves to.

    For refusing early (a builder pastes an action's server URL); a later request is judged
    again anyway, since a name can resolve differently by then.
    """
    rules = policy(settings, workspace_domains=workspace_domains, resolver=resolver)
    parsed = rules.check_url(url)
    rules.resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    return parsed


def client(settings: Settings | None = None, *, workspace_domains: Iterable[str] | None = None, resolver: Resolver | None = None,
           verify: ssl.SSLContext | bool = True, timeout: float | httpx.Timeout = TIMEOUT_SECONDS, follow_redirects: bool = True,
           headers: dict[str, str] | None = None, network_backend: httpcore.NetworkBackend | None = None) -> httpx.Client:
    """An httpx.Client every request of which goes through the guard (use it as a context manager, or close it)."""
    rules = policy(settings, workspace_domains=workspace_domains, resolver=resolver)
    return httpx.Client(transport=GuardedTransport(rules, verify=verify, network_backend=network_backend), timeout=timeout,
                        follow_redirects=follow_redirects, max_redirects=MAX_REDIRECTS, headers=headers, trust_env=False)


def async_client(settings: Settings | None = None, *, workspace_domains: Iterable[str] | None = None, resolver: Resolver | None = None,
                 verify: ssl.SSLContext | bool = True, timeout: float | httpx.Timeout = TIMEOUT_SECONDS, follow_redirects: bool = True,
                 headers: dict[str, str] | None = None, network_backend: httpcore.AsyncNetworkBackend | None = None) -> httpx.AsyncClient:
    """An httpx.AsyncClient every request of which goes through the guard."""
    rules = policy(settings, workspace_domains=workspace_domains, resolver=resolver)
    return httpx.AsyncClient(transport=AsyncGuardedTransport(rules, verify=verify, network_backend=network_backend), timeout=timeout,
                             follow_redirects=follow_redirects, max_redirects=MAX_REDIRECTS, headers=headers, trust_env=False)

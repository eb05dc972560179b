"""The outbound guard (agora.outbound) for the MCP SDK, which speaks httpx2: the same Policy judges each request and each connection.

agora.outbound builds httpx clients; the `mcp` SDK takes an httpx2.AsyncClient. This is the
guard's asynchronous transport for httpx2, kept to the same two steps: the request's URL is
judged by name before it is sent (scheme, port, allow and deny lists), then the connection
resolves the host once, judges every address and connects to the judged address itself, so
a name cannot answer a public address to the check and a private one to the connection.
TLS still checks the certificate against the name. The SDK follows no redirect but
same-origin ones, and those go through this transport again.
"""

from __future__ import annotations

import typing

import anyio.to_thread
import httpcore2
import httpx2

from agora.i18n import gettext as _
from agora.outbound import Policy, Refused

SocketOptions = typing.Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]


class _GuardedBackend(httpcore2.AsyncNetworkBackend):
    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: SocketOptions | None = None) -> httpcore2.AsyncNetworkStream:
        # The resolver may block (getaddrinfo): a worker thread keeps the event loop turning meanwhile.
        addresses = await anyio.to_thread.run_sync(self._policy.resolve, host, port)
        failure: Exception | None = None
        for address in addresses:  # each one judged already: tried in the resolver's order
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve() never returns an empty list
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: SocketOptions | None = None) -> httpcore2.AsyncNetworkStream:
        raise Refused(_("Unix sockets are never reached by outbound requests."), code="scheme")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's transport with the guard's network backend; each request's URL judged first."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(trust_env=False)
        # httpx2 builds its pool without a way to pass a network backend: the same pool, rebuilt with ours.
        self._pool = httpcore2.AsyncConnectionPool(ssl_context=httpx2.create_ssl_context(trust_env=False), network_backend=_GuardedBackend(policy))
        self._policy = policy

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self._policy.check_url(str(request.url))
        return await super().handle_async_request(request)

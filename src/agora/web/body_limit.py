"""One limit on request bodies for every route outside /v1, enforced before they are read.

Pure ASGI middleware, ahead of routing, CSRF and authentication: a declared Content-Length
over the limit is refused with 413 before the application runs; a body sent in chunks,
without a length, is counted as it arrives and refused the moment it goes past the limit
(what arrives after is discarded by the server, never kept). The limit is the
AGORA_MAX_BODY_BYTES setting; a route that needs more says so with `accepts_bodies_up_to`.
/v1 keeps its own limit (AGORA_API_MAX_BODY_BYTES): it is routed before this middleware.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agora.i18n import gettext as _
from agora.web.deps import wants_json
from agora.web.templating import render

_ATTRIBUTE = "agora_max_body_bytes"
MB = 1024 * 1024


def accepts_bodies_up_to(limit: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an endpoint (under its route decorator) whose requests may be larger than the setting."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, _ATTRIBUTE, limit)
        return endpoint

    return mark


def larger_limits(routes: Iterable[Any]) -> list[tuple[re.Pattern[str], frozenset[str], int]]:
    """(path pattern, methods, limit) of the routes whose endpoints accept larger bodies."""
    return [
        (route.path_regex, frozenset(route.methods or ()), getattr(route.endpoint, _ATTRIBUTE))
        for route in routes
        if isinstance(route, APIRoute) and hasattr(route.endpoint, _ATTRIBUTE)
    ]


class _TooLarge(Exception):
    """Raised from receive() to the application: the body it was reading is refused."""


class BodyLimit:
    def __init__(self, app, *, default: int, larger: list[tuple[re.Pattern[str], frozenset[str], int]]) -> None:
        self.app, self.default, self.larger = app, default, larger

    def limit_for(self, scope) -> int:
        path, method = get_route_path(scope), scope["method"]
        for pattern, methods, limit in self.larger:
            if method in methods and pattern.match(path):
                return max(limit, self.default)
        return self.default

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = None, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked:
            # The server reads no more than a declared length (and nothing without one).
            if declared is not None and declared > self.default and declared > (limit := self.limit_for(scope)):
                await refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        await self._count(scope, receive, send, self.limit_for(scope))

    async def _count(self, scope, receive, send, limit: int) -> None:
        received, exceeded, started = 0, False, False

        async def counted_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message) -> None:
            nonlocal started
            if exceeded:
                return  # the application's answer to a body it never got whole: ours goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
            # Whatever the application made of the refusal (FastAPI turns it into a 400), it ends here.
        if exceeded and not started:
            await refuse(scope, receive, send, limit)


async def refuse(scope, receive, send, limit: int) -> None:
    """413, as JSON for the JSON API and as the site's error page for forms."""
    request = Request(scope, receive)
    megabytes = f"{limit / MB:g}"
    if wants_json(request):
        message = _("The request is larger than %(megabytes)s MB, the most this address accepts. Send less data.", megabytes=megabytes)
        response: Response = JSONResponse({"error": {"code": "request_too_large", "message": message}}, status_code=413)
    else:
        message = _("The request is larger than %(megabytes)s MB, the most this page accepts. Send less: a smaller file or shorter text.",
                    megabytes=megabytes)
        # In the thread pool: the page's header looks up who is signed in.
        response = await run_in_threadpool(render, request, "error.html", 413, message=message)
    await response(scope, receive, send)

"""Calling the services the operator configured for the built-in tools (a SearxNG, Brave Search, Nominatim, OSRM).

These addresses are the operator's choice, like the model servers: often on this machine or
its network, so they are not put through the outbound guard. Pages the model asks to read are
(agora.tools.reader). Every failure becomes a ToolFailed saying which service and why.
"""

from __future__ import annotations

from typing import Any

import httpx

from agora import __version__
from agora.config import Settings
from agora.i18n import gettext as _
from agora.tools.base import ToolFailed

MAX_BODY_BYTES = 2 * 1024 * 1024


class ServiceRefused(ToolFailed):
    """The service answered with an HTTP error: `status` says which, for callers that explain some (SearxNG's 403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def user_agent(settings: Settings) -> str:
    # Nominatim's usage policy asks every application to identify itself; the others are told the same.
    return f"Agora/{__version__} (+{settings.resolved_public_url()})"


async def get_json(url: str, *, service: str, settings: Settings, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, timeout: float = 15.0) -> Any:
    """The JSON `url` answers; ToolFailed naming `service` when it cannot be reached or answers anything else."""
    sent = {"User-Agent": user_agent(settings), "Accept": "application/json", **(headers or {})}
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as http, \
                http.stream("GET", url, params=params, headers=sent) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise ToolFailed(_("%(service)s answered more than %(max)s bytes.", service=service, max=MAX_BODY_BYTES))
    except httpx.TimeoutException:
        raise ToolFailed(_("%(service)s did not answer in time.", service=service)) from None
    except httpx.HTTPError as error:
        raise ToolFailed(_("%(service)s could not be reached: %(reason)s", service=service, reason=str(error) or type(error).__name__)) from None
    try:
        document = httpx.Response(response.status_code, content=bytes(body)).json()
    except ValueError:
        document = None
    if response.status_code != 200:
        detail = _detail(document)
        if detail:
            raise ServiceRefused(_("%(service)s answered HTTP %(status)s: %(detail)s", service=service, status=response.status_code, detail=detail),
                                 response.status_code)
        raise ServiceRefused(_("%(service)s answered HTTP %(status)s.", service=service, status=response.status_code), response.status_code)
    if document is None:
        raise ToolFailed(_("%(service)s did not answer JSON.", service=service))
    return document


def _detail(document: Any) -> str:
    """Why a service refused, from the error shapes they use: OSRM's {"message"}, Brave's {"error": {"detail"}}, Nominatim's {"error"}."""
    if not isinstance(document, dict):
        return ""
    error = document.get("error")
    if isinstance(error, dict):
        error = error.get("detail") or error.get("message")
    found = document.get("message") or error
    return str(found)[:300] if found else ""

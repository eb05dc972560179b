"""Fetching an OpenAPI document the builder gives by URL, through the outbound guard, read to the document's limit."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from agora.actions import transport
from agora.actions.openapi import MAX_DOCUMENT_CHARS
from agora.config import Settings
from agora.errors import InvalidInput
from agora.i18n import gettext as _

TIMEOUT_SECONDS = 20.0


async def fetch_document(url: str, settings: Settings | None) -> str:
    """The document's text; InvalidInput naming `url` when it cannot be had (refused, unreachable, not text, too long)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("The document's address must be an http or https URL."), field="url")
    try:
        async with transport.client(settings, timeout=TIMEOUT_SECONDS) as http, http.stream("GET", url, headers={
                "Accept": "application/json, application/yaml, text/yaml, text/plain;q=0.8"}) as response:
            if response.status_code != 200:
                raise InvalidInput(_("Fetching the document answered %(status)s.", status=response.status_code), field="url")
            pieces, size = [], 0
            async for piece in response.aiter_text():
                pieces.append(piece)
                size += len(piece)
                if size > MAX_DOCUMENT_CHARS:
                    raise InvalidInput(_("The document is longer than %(max)s characters.", max=f"{MAX_DOCUMENT_CHARS:,}"), field="url")
    except transport.Refused as refused:
        raise InvalidInput(str(refused), field="url", code="outbound_refused") from None
    except httpx.HTTPError as error:
        raise InvalidInput(_("The document could not be fetched: %(reason)s", reason=str(error) or type(error).__name__), field="url") from None
    return "".join(pieces)

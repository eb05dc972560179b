"""The one way an action's HTTP requests leave Agora: an httpx client of the outbound guard (agora.outbound).

The guard resolves each name once, refuses non-public addresses (unless the operator allows
them, AGORA_OUTBOUND_ALLOW_HOSTS), connects to the address it judged and judges every
redirect hop again, at most MAX_REDIRECTS.
"""

from __future__ import annotations

import httpx

from agora import outbound
from agora.config import Settings

MAX_REDIRECTS = outbound.MAX_REDIRECTS
Refused = outbound.Refused


def client(settings: Settings | None, *, timeout: float) -> httpx.AsyncClient:
    return outbound.async_client(settings, timeout=timeout)

"""Server-Sent Events framing for the runtime's events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # proxies must not buffer the stream


def frame(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def response(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        try:
            async for name, data in events:
                yield frame(name, data)
        finally:
            await events.aclose()  # type: ignore[attr-defined]  # runs the runtime's clean-up on disconnect

    return StreamingResponse(body(), media_type="text/event-stream", headers=HEADERS)

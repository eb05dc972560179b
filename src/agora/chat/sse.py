"""Server-Sent Events framing for the runtime's events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # proxies must not buffer the stream


# One encoder for every event: json.dumps(..., ensure_ascii=False) builds a new one per call,
# which was most of the cost of framing a token.
_json = json.JSONEncoder(ensure_ascii=False).encode


def frame(event: str, data: dict[str, Any]) -> bytes:
    if event == "delta" and len(data) == 1:  # most events: one token's text, framed without a dict walk
        return b'event: delta\ndata: {"text": ' + _json(data["text"]).encode() + b"}\n\n"
    return f"event: {event}\ndata: {_json(data)}\n\n".encode()


def response(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        try:
            async for name, data in events:
                yield frame(name, data)
        finally:
            await events.aclose()  # type: ignore[attr-defined]  # runs the runtime's clean-up on disconnect

    return StreamingResponse(body(), media_type="text/event-stream", headers=HEADERS)

"""The chat provider, stop board and usage writer of this application, made on first use."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request

from agora.chat.stops import StopBoard
from agora.metering.writer import UsageWriter, writer_for
from agora.providers import catalog
from agora.providers.base import Provider


# Both are async, so FastAPI calls them on the event loop rather than in a thread each: a
# message's first token waited for every one of those hops (more on a busy machine).
async def get_provider(request: Request) -> Provider:
    state = request.app.state
    provider = catalog.ready(state)
    if provider is None:  # the first request: the catalog reads the database for its first snapshot
        provider = await anyio.to_thread.run_sync(catalog.chat_provider, state)
    return provider


async def get_stop_board(request: Request) -> StopBoard:
    state = request.app.state
    if getattr(state, "chat_stop_board", None) is None:
        state.chat_stop_board = StopBoard(state.database)
    return state.chat_stop_board


async def get_usage_writer(request: Request) -> UsageWriter:
    return writer_for(request.app.state)


ChatProvider = Annotated[Provider, Depends(get_provider)]
Stops = Annotated[StopBoard, Depends(get_stop_board)]
Usage = Annotated[UsageWriter, Depends(get_usage_writer)]

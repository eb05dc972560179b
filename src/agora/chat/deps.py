"""The chat provider, stop board and usage writer of this application, made on first use; what a reply route needs, in one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Request

from agora.chat.stops import StopBoard
from agora.chat.turns import Asker
from agora.metering.writer import UsageWriter, writer_for
from agora.providers import catalog
from agora.providers.base import Provider
from agora.web.deps import AppSettings, CurrentUser


# These are async, so FastAPI calls them on the event loop rather than in a thread each: a
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


@dataclass(frozen=True)
class Replying:
    """What a route that starts a reply needs: who asks (and with what), the stop board, the usage writer."""

    asker: Asker
    stops: StopBoard
    writer: UsageWriter


async def get_replying(request: Request, user: CurrentUser, settings: AppSettings, provider: ChatProvider, stops: Stops, usage: Usage) -> Replying:
    usage.ensure_room()  # refused (503) while the database is away and usage waits: before anything is stored
    return Replying(Asker(user, provider, settings, request.state.language), stops, usage)


Replies = Annotated[Replying, Depends(get_replying)]

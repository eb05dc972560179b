"""The chat provider and stop board of this application, made on first use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agora.chat.stops import StopBoard
from agora.providers import catalog
from agora.providers.base import Provider


def get_provider(request: Request) -> Provider:
    return catalog.chat_provider(request.app.state)


def get_stop_board(request: Request) -> StopBoard:
    state = request.app.state
    if getattr(state, "chat_stop_board", None) is None:
        state.chat_stop_board = StopBoard(state.database)
    return state.chat_stop_board


ChatProvider = Annotated[Provider, Depends(get_provider)]
Stops = Annotated[StopBoard, Depends(get_stop_board)]

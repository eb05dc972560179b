"""The store's caches for a route: the application's own (app.state.caches.store, made by create_app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agora.store.caches import StoreCaches


def store_caches(request: Request) -> StoreCaches:
    return request.app.state.caches.store


Caches = Annotated[StoreCaches, Depends(store_caches)]

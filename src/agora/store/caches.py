"""The store's caches, held by the application (`app.state.caches.store`) and invalidated by events.

- `front`: the store front (one entry), for FRONT_CACHE_SECONDS;
- `neighbourhoods`: each category's most trending listings, for the similar shelves, refreshed
  in the background (store.details.keep_fresh);
- `names`: the busiest GPTs' names, for the type-ahead, refreshed in the background;
- `statistics`: what PostgreSQL's ANALYZE knows of the search vectors, refreshed in the background.

A GPT that changes (gpt.changed: published, edited, unpublished, deleted) clears the front and
the names at once in this process: a GPT just published is on the front page and suggested on
the next request, and one that left is gone from both. Other workers see it when their entries
expire (60 s). Featured picks and categories (catalogue.changed) clear the front too. The
neighbourhoods and statistics only rank: they catch up within a minute and ten, as before.
"""

from __future__ import annotations

from agora import events
from agora.cache import RefreshingCache, TtlCache
from agora.store.browse import FRONT_CACHE_SECONDS
from agora.store.details import NEIGHBOURHOOD_MAX_AGE, NEIGHBOURHOOD_SECONDS
from agora.store.search_postgres import STATISTICS_SECONDS
from agora.store.typeahead import REFRESH_SECONDS as NAMES_REFRESH_SECONDS


class StoreCaches:
    def __init__(self) -> None:
        self.front = TtlCache(FRONT_CACHE_SECONDS, maxsize=16)
        # Re-read ahead every NEIGHBOURHOOD_SECONDS, never served older than a minute (store.details).
        self.neighbourhoods = RefreshingCache(NEIGHBOURHOOD_SECONDS, max_age=NEIGHBOURHOOD_MAX_AGE)
        self.names = RefreshingCache(NAMES_REFRESH_SECONDS)
        self.statistics = RefreshingCache(STATISTICS_SECONDS)
        # Weakly: an application that is dropped stops listening with its caches.
        events.subscribe(events.GptChanged, self._gpt_changed, weak=True)
        events.subscribe(events.CatalogueChanged, self._catalogue_changed, weak=True)

    def clear(self) -> None:
        for cache in (self.front, self.neighbourhoods, self.names, self.statistics):
            cache.clear()

    def _gpt_changed(self, changed: events.GptChanged) -> None:
        self.front.clear()
        self.names.clear()

    def _catalogue_changed(self, changed: events.CatalogueChanged) -> None:
        self.front.clear()

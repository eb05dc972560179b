"""The background-refreshed cache behind the type-ahead: stale reads never wait for a rebuild."""

import threading
import time

from agora.store import typeahead
from agora.cache import RefreshingCache
from tests.store.helpers import publish


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_stale_read_gets_the_old_value_while_one_thread_rebuilds():
    cache = RefreshingCache(0)  # every read after the first finds its entry stale
    assert cache.get("k", lambda: "first") == "first"  # nothing yet: built by the read
    release, calls = threading.Event(), []

    def slow():
        calls.append(threading.current_thread().name)
        assert release.wait(5)
        return "second"

    assert cache.get("k", slow) == "first"  # returns at once: the rebuild is blocked on `release`
    assert cache.get("k", slow) == "first"  # and a second read starts no second rebuild
    _wait_for(lambda: calls)
    assert calls == ["agora-cache-refresh"]
    release.set()
    _wait_for(lambda: cache.get("k", lambda: "third") == "second")


def test_a_failed_refresh_keeps_the_old_value_and_is_retried():
    cache = RefreshingCache(0)
    cache.get("k", lambda: 1)
    failed = threading.Event()

    def broken():
        failed.set()
        raise RuntimeError("database away")

    assert cache.get("k", broken) == 1
    assert failed.wait(5)
    _wait_for(lambda: cache.get("k", lambda: 2) == 2)


def test_a_clear_drops_what_a_refresh_begun_before_it_would_store():
    cache = RefreshingCache(0)
    cache.get("k", lambda: "old")
    release = threading.Event()
    done = threading.Event()

    def slow():
        release.wait(5)
        done.set()
        return "from before the clear"

    cache.get("k", slow)
    cache.clear()
    release.set()
    assert done.wait(5)
    time.sleep(0.05)  # let the refresh thread store (or not) what it computed
    assert cache.get("k", lambda: "rebuilt") == "rebuilt"


def test_type_ahead_names_are_refreshed_off_the_request_path(server, database, browser, monkeypatch):
    publish(database, "Quokka Planner")
    assert [s["name"] for s in browser.get("/api/store/suggest", params={"q": "quok"}).json()] == ["Quokka Planner"]
    monkeypatch.setattr(server.app.state.caches.store.names, "seconds", 0)  # from now on every suggest finds the names stale
    publish(database, "Quokka Tracker")  # publishing forgets this worker's names: rebuild them first
    browser.get("/api/store/suggest", params={"q": "quok"})
    refreshed = threading.Event()
    original = typeahead.Names

    class Recording(original):
        def __init__(self, rows):
            super().__init__(rows)
            if threading.current_thread().name == "agora-cache-refresh":
                refreshed.set()

    monkeypatch.setattr(typeahead, "Names", Recording)
    names = {s["name"] for s in browser.get("/api/store/suggest", params={"q": "quok"}).json()}
    assert names == {"Quokka Planner", "Quokka Tracker"}
    assert refreshed.wait(5)  # the stale names were rebuilt by the background thread


def test_an_entry_past_its_maximum_age_is_never_served():
    cache = RefreshingCache(0, max_age=0.05)
    assert cache.get("k", lambda: "first") == "first"
    time.sleep(0.06)  # a quiet spell longer than max_age: the read recomputes it itself
    assert cache.get("k", lambda: "second") == "second"
    assert cache.get("k", lambda: "third") == "second"  # young again: served, refreshed behind


def test_a_background_caller_refreshes_now_and_a_read_that_must_wait_uses_inline():
    cache = RefreshingCache(60)
    assert cache.get("k", lambda: "background", inline=lambda: "inline") == "inline"  # the caller's own way
    cache.refresh_now("k", lambda: "renewed")  # on this thread, though the entry is fresh
    assert cache.get("k", lambda: "unused") == "renewed"
    release = threading.Event()
    cache_stale = RefreshingCache(0)
    cache_stale.get("k", lambda: 1)
    cache_stale.get("k", lambda: release.wait(5) and 2)  # a refresh under way on another thread
    cache_stale.refresh_now("k", lambda: 3)  # so this one is skipped, not run twice
    assert cache_stale.get("k", lambda: 4) == 1
    release.set()
    _wait_for(lambda: cache_stale.get("k", lambda: 4) == 2)

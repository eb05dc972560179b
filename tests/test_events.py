"""agora.events: synchronous delivery in order, one failing listener logged and the others still told,
in-transaction events raising to the publisher, weak subscriptions that end with their object."""

import gc
import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest

from agora import events


@dataclass(frozen=True)
class Happened(events.Event):
    name: ClassVar[str] = "test.happened"
    what: str


@dataclass(frozen=True)
class Written(events.Event):
    name: ClassVar[str] = "test.written"
    in_transaction: ClassVar[bool] = True
    what: str


@pytest.fixture(autouse=True)
def _forget_test_listeners():
    yield
    events._listeners.pop(Happened, None)
    events._listeners.pop(Written, None)


def test_listeners_are_told_in_order_and_only_of_their_event():
    told = []
    events.subscribe(Happened, lambda event: told.append(("first", event.what)))
    events.subscribe(Happened, lambda event: told.append(("second", event.what)))
    events.subscribe(Written, lambda event: told.append(("written", event.what)))
    events.publish(Happened("a"))
    assert told == [("first", "a"), ("second", "a")]


def test_subscribing_twice_tells_once_and_unsubscribe_stops():
    told = []

    def listener(event):
        told.append(event.what)

    events.subscribe(Happened, listener)
    events.subscribe(Happened, listener)
    events.publish(Happened("a"))
    events.unsubscribe(Happened, listener)
    events.publish(Happened("b"))
    assert told == ["a"]


def test_a_failing_listener_is_logged_and_the_others_still_run(caplog):
    told = []

    def broken(event):
        raise RuntimeError("listener bug")

    events.subscribe(Happened, broken)
    events.subscribe(Happened, lambda event: told.append(event.what))
    with caplog.at_level(logging.ERROR, logger="agora.events"):
        events.publish(Happened("a"))  # does not raise
    assert told == ["a"]
    assert "test.happened failed" in caplog.text and "listener bug" in caplog.text


def test_an_in_transaction_listener_failure_reaches_the_publisher():
    def broken(event):
        raise RuntimeError("could not write")

    events.subscribe(Written, broken)
    with pytest.raises(RuntimeError, match="could not write"):
        events.publish(Written("a"))


def test_a_weak_subscription_ends_with_its_object():
    told = []

    class Cache:
        def forget(self, event):
            told.append(event.what)

    cache = Cache()
    events.subscribe(Happened, cache.forget, weak=True)
    events.publish(Happened("a"))
    del cache
    gc.collect()
    events.publish(Happened("b"))
    assert told == ["a"]
    assert events._listeners[Happened] == []  # the dead reference was swept


def test_a_revoked_key_is_published_once_the_revocation_commits(database):
    from agora.accounts import api_keys
    from agora.accounts.service import create_user

    told = []

    def listener(event):
        told.append(event.public_id)

    events.subscribe(events.ApiKeyRevoked, listener)
    try:
        with database.session() as session:
            user = create_user(session, email="keys@example.com", display_name="Keys", password="a long password")
            session.flush()
            key, _secret = api_keys.create(session, user=user, name="ci")
            session.commit()
            api_keys.revoke(session, user=user, key_id=key.id)
            session.flush()
            assert told == []  # not before the commit: a reader in between could cache it again
            session.commit()
        assert told == [key.public_id]
    finally:
        events.unsubscribe(events.ApiKeyRevoked, listener)


def test_the_application_caches_forget_what_their_events_say_changed():
    from agora.sso.discovery import ProviderCache
    from agora.store.caches import StoreCaches

    store, providers = StoreCaches(), ProviderCache()
    store.front.put("front", "the old front")
    store.names.get("names", lambda: "the old names")
    providers.put("https://idp.example.com", "old metadata")
    events.publish(events.SsoProviderChanged("acme"))
    assert providers.peek("https://idp.example.com") is None and store.front.peek("front") == "the old front"
    events.publish(events.CatalogueChanged())
    assert store.front.peek("front") is None and store.names.get("names", lambda: "rebuilt") == "the old names"
    store.front.put("front", "the old front")
    events.publish(events.GptChanged("g1"))
    assert store.front.peek("front") is None and store.names.get("names", lambda: "rebuilt") == "rebuilt"

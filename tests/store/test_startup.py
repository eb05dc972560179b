"""Starting Agora costs the same whatever the size of the store: the listings backfill walks
every GPT once, then leaves a mark that later starts read instead."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from agora import migrate
from agora.gpts.models import Gpt
from agora.store import listings
from agora.store.models import Listing
from tests.store.helpers import publish


def _unlist(database, gpt_ids: list[str]) -> None:
    """GPTs as a store from before listings had them: public and published, never listed."""
    with database.session() as session:
        for gpt in session.scalars(select(Gpt).where(Gpt.id.in_(gpt_ids))):
            gpt.visibility = "private"
            listings.sync(session, gpt)
            gpt.visibility = "public"  # as the old code left it: no listing


def _statements_of_a_start(database) -> list[str]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        migrate.upgrade(database)  # what `agora migrate` and `agora serve` run first
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return statements


def _listed(database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(Listing.gpt_id)))


def test_a_start_reads_no_gpt_once_the_backfill_has_run(database):
    old = [publish(database, f"Old Helper {n}") for n in range(6)]
    _unlist(database, old)
    assert not set(old) & _listed(database)
    _statements_of_a_start(database)  # the first start after the upgrade lists them
    assert set(old) <= _listed(database)

    small = _statements_of_a_start(database)
    for n in range(30):
        publish(database, f"New Helper {n}")
    large = _statements_of_a_start(database)
    assert small == large  # the same statements, whatever the size of the store
    touching = [s for s in large if re.search(r"\b(gpts|store_listings)\b", s)]
    assert touching == [], touching  # and none reads a GPT or a listing


def test_an_interrupted_backfill_resumes_where_it_stopped(database, monkeypatch):
    _unlist(database, [publish(database, f"Old Helper {n}") for n in range(7)])
    with database.session() as session:
        old = list(session.scalars(select(Gpt.id).order_by(Gpt.id)))  # in the database's order
    synced: list[str] = []
    stop_at = [3]  # the fourth GPT's sync raises, as a start stopped there would
    real_sync = listings.sync

    def counting_sync(session, gpt):
        if len(synced) == stop_at[0]:
            raise RuntimeError("the start was stopped")
        synced.append(gpt.id)
        return real_sync(session, gpt)

    monkeypatch.setattr(listings, "sync", counting_sync)
    with pytest.raises(RuntimeError), database.session() as session:
        listings.backfill(session, batch=2)
    assert _listed(database) == set(old[:2])  # the first batch was committed, the second was not
    stop_at[0] = None
    with database.session() as session:
        assert listings.backfill(session, batch=2) == 5
    assert synced == old[:3] + old[2:]  # resumed after the last batch committed; the third GPT again
    assert _listed(database) == set(old)
    with database.session() as session:
        assert listings.backfill(session, batch=2) == 0

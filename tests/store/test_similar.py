"""The GPT page's "similar" shelf: same category, a shared tag first, busiest first."""

import threading
import time

from sqlalchemy import select

from agora.store import details, trending
from agora.store.caches import StoreCaches
from agora.store.models import Listing
from tests.store.helpers import publish


def test_similar_prefers_a_shared_tag_then_fills_with_the_category_trending(database):
    subject = publish(database, "Tax Helper", tags=["taxes", "money"], category="productivity")
    sharing = publish(database, "Invoice Friend", tags=["invoices", "money"], category="productivity")
    busy = publish(database, "Busy Planner", tags=["calendar"], category="productivity")
    quiet = publish(database, "Quiet Planner", tags=["calendar"], category="productivity")
    elsewhere = publish(database, "Money Poet", tags=["money"], category="writing")
    with database.session() as session:
        trending.add_activity(session, busy, day=trending.EPOCH, new_users=40, new_conversations=40, messages=90)
        trending.add_activity(session, quiet, day=trending.EPOCH, new_users=1, new_conversations=1, messages=2)
    with database.session() as session:  # a new cache: the worker's keeps neighbourhoods up to a minute
        listing = session.scalar(select(Listing).where(Listing.gpt_id == subject))
        shown = [l.gpt_id for l in details.similar(session, listing, StoreCaches().neighbourhoods)]
    assert shown[0] == sharing  # shares "money", though less used than Busy Planner
    assert shown[1:3] == [busy, quiet]  # then the category's trending
    assert subject not in shown and elsewhere not in shown
    assert len(shown) == 3


def test_gpt_page_reads_its_listing_and_both_shelves(database):
    from agora.store import gpt_page

    subject = publish(database, "Tax Helper", tags=["taxes"], category="productivity")
    others = [publish(database, f"Helper {n}", tags=["calendar"], category="writing") for n in range(7)]
    twin = publish(database, "Tax Twin", tags=["taxes"], category="productivity")  # the builder's least used
    rival = publish(database, "Tax Rival", tags=["taxes"], category="productivity", owner_email="rival@example.com")
    with database.session() as session:
        for uses, gpt_id in enumerate(others, start=2):
            trending.add_activity(session, gpt_id, day=trending.EPOCH, new_users=1, new_conversations=uses, messages=1)
        trending.add_activity(session, rival, day=trending.EPOCH, new_users=9, new_conversations=9, messages=9)
    with database.session() as session:
        shown = gpt_page.read(session, subject, None, language="en", caches=StoreCaches())
    assert shown.store_listing.gpt_id == subject
    # The builder's six busiest other GPTs, busiest first: neither the GPT itself nor Tax Twin.
    assert [l.gpt_id for l in shown.more_by_builder] == others[::-1][:6]
    # Sharing a tag first, most trending first; never the GPT itself.
    assert [l.gpt_id for l in shown.similar] == [rival, twin]


def test_a_gpt_outside_the_store_has_no_shelves(database):
    from agora.store import gpt_page

    publish(database, "Listed Sibling", tags=["taxes"], category="productivity")
    hidden = publish(database, "Link Only", tags=["taxes"], category="productivity", visibility="link")
    with database.session() as session:
        shown = gpt_page.read(session, hidden, None, language="en")
    assert shown.content.name == "Link Only"
    assert shown.store_listing is None and shown.more_by_builder == [] and shown.similar == []


def test_a_visitors_gpt_page_is_four_statements_once_the_worker_warmed_up(database):
    from sqlalchemy import event

    from agora.store import gpt_page

    subject = publish(database, "Tax Helper", tags=["taxes"], category="productivity")
    publish(database, "Tax Twin", tags=["taxes"], category="productivity")
    caches = StoreCaches()
    details.warm_up(database, caches.neighbourhoods)  # what the app does as it starts: every category's neighbourhood
    statements = []
    with database.session() as session:
        mine = session.connection()  # the server's own threads use the engine meanwhile

        def listener(connection, cursor, statement, *_):
            if connection is mine:
                statements.append(statement)

        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            shown = gpt_page.read(session, subject, None, language="en", caches=caches)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
    assert [l.name for l in shown.similar] == ["Tax Twin"]
    # The GPT with its content, builder and category; its listing and shelves; reviews; badges.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_the_worker_keeps_every_category_s_neighbourhood_fresh_without_a_page_asking(database, monkeypatch):
    monkeypatch.setattr(details, "NEIGHBOURHOOD_SECONDS", 0.1)  # the worker's round, 30 s when serving
    subject = publish(database, "Tax Helper", tags=["taxes"], category="productivity")
    cache = StoreCaches().neighbourhoods
    stop = threading.Event()
    worker = threading.Thread(target=details.keep_fresh, args=(database, cache, stop), daemon=True)
    worker.start()

    def shelf() -> list[str]:
        with database.session() as session:
            listing = session.scalar(select(Listing).where(Listing.gpt_id == subject))
            return [l.gpt_id for l in details.similar(session, listing, cache)]

    try:
        assert shelf() == []  # cached now, for 30 s before a page would ask for it again
        twin = publish(database, "Tax Twin", tags=["taxes"], category="productivity")
        deadline = time.monotonic() + 10
        shown: list[str] = []
        while twin not in shown:  # only the worker renews the neighbourhood this soon
            assert time.monotonic() < deadline, "the new GPT never reached the similar shelf"
            time.sleep(0.05)
            shown = shelf()
    finally:
        stop.set()
        worker.join(5)
    assert not worker.is_alive()  # it stops when the app does

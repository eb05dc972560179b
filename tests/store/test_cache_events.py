"""The application's store caches (app.state.caches.store) are what pages read, and events clear them:
a GPT that changes is shown as it now is on the very next request, on both databases."""

from sqlalchemy import update

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.store.models import Listing
from tests.store.helpers import publish


def _front(browser) -> str:
    return browser.get("/").text


def _suggested(browser, typed: str) -> list[str]:
    return [s["name"] for s in browser.get("/api/store/suggest", params={"q": typed}).json()]


def test_the_front_is_served_from_the_application_s_cache(server, database, browser):
    gpt_id = publish(database, "Pelican Planner")
    assert "Pelican Planner" in _front(browser)
    with database.session() as session:  # behind the cache's back: no event, so nothing is forgotten
        session.execute(update(Listing).where(Listing.gpt_id == gpt_id).values(name="Pelican Renamed"))
        session.commit()
    assert "Pelican Planner" in _front(browser)  # the cached front
    server.app.state.caches.clear()  # what the test fixtures do between tests
    assert "Pelican Renamed" in _front(browser)


def test_a_republished_gpt_shows_its_new_name_at_once_because_gpt_changed_cleared_the_caches(database, browser):
    gpt_id = publish(database, "Heron Helper")
    assert "Heron Helper" in _front(browser) and _suggested(browser, "heron") == ["Heron Helper"]  # both cached now
    with database.session() as session:
        gpt = session.get(Gpt, gpt_id)
        owner = accounts.user_by_email(session, "maker@example.com")
        gpts.update_draft(session, gpt, changes={"name": "Egret Helper", "description": "Wades and helps"})
        gpts.publish(session, gpt, author=owner)
        session.commit()  # gpt.changed goes out now, not before
    page = _front(browser)
    assert "Egret Helper" in page and "Heron Helper" not in page
    assert _suggested(browser, "egret") == ["Egret Helper"] and _suggested(browser, "heron") == []


def test_a_gpt_that_leaves_the_store_leaves_the_cached_front_at_once(database, browser):
    gpt_id = publish(database, "Stork Starter")
    assert "Stork Starter" in _front(browser)
    with database.session() as session:
        gpts.update_draft(session, session.get(Gpt, gpt_id), visibility="private")
        session.commit()
    assert "Stork Starter" not in _front(browser)
    assert _suggested(browser, "stork") == []


def test_a_change_rolled_back_clears_nothing(server, database, browser):
    publish(database, "Ibis Index")
    assert "Ibis Index" in _front(browser)
    cleared = []
    front = server.app.state.caches.store.front
    original = front.clear
    front.clear = lambda: (cleared.append(True), original())
    try:
        with database.session() as session:
            publish_in = session.scalar(Gpt.__table__.select().with_only_columns(Gpt.id).limit(1))
            gpts.update_draft(session, session.get(Gpt, publish_in), visibility="private")
            session.rollback()
    finally:
        del front.clear
    assert cleared == [] and "Ibis Index" in _front(browser)

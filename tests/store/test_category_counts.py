"""Category counters follow every way a GPT enters, moves within or leaves the store."""

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.store.models import Category, Listing
from tests.store.helpers import publish


def counters(session) -> dict[str, int]:
    return {slug: count for slug, count in session.execute(select(Category.slug, Category.listing_count)) if count}


def counted(session) -> dict[str, int]:
    rows = session.execute(
        select(Category.slug, func.count()).join(Listing, Listing.category_id == Category.id).group_by(Category.slug)
    )
    return dict(rows.all())


def test_counters_equal_a_recount_after_publish_move_hide_and_delete(database, browser):
    first, second, third = (publish(database, f"Counter {n}", category="productivity") for n in range(3))
    publish(database, "Counter Writer", category="writing")
    publish(database, "Counter Private", category="writing", visibility="private")
    with database.session() as session:
        assert counters(session) == counted(session) == {"productivity": 3, "writing": 1}
        owner = accounts.user_by_email(session, "maker@example.com")
        moved = session.get(Gpt, first)
        gpts.update_draft(session, moved, changes={"category": "writing"})
        gpts.publish(session, moved, author=owner)  # moves productivity -> writing
        gpts.publish(session, session.get(Gpt, first), author=owner)  # republishing in place moves nothing
        gpts.update_draft(session, session.get(Gpt, second), visibility="private")
        gpts.delete_gpt(session, session.get(Gpt, third))
    with database.session() as session:
        assert counters(session) == counted(session) == {"writing": 2}
        gpts.update_draft(session, session.get(Gpt, second), visibility="public")
    with database.session() as session:
        assert counters(session) == counted(session) == {"writing": 2, "productivity": 1}

    by_slug = {c["slug"]: c["count"] for c in browser.get("/api/store/categories").json()}
    assert by_slug["writing"] == 2 and by_slug["productivity"] == 1 and by_slug["design"] == 0

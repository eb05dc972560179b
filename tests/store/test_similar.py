"""The GPT page's "similar" shelf: same category, a shared tag first, busiest first."""

from sqlalchemy import select

from agora.store import details, trending
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
    with database.session() as session:
        listing = session.scalar(select(Listing).where(Listing.gpt_id == subject))
        shown = [l.gpt_id for l in details.similar(session, listing)]
    assert shown[0] == sharing  # shares "money", though less used than Busy Planner
    assert shown[1:3] == [busy, quiet]  # then the category's trending
    assert subject not in shown and elsewhere not in shown
    assert len(shown) == 3

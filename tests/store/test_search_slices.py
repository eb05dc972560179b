"""Search reads matches in popularity order (by tier), whichever way the index gets them there."""

from sqlalchemy import select, text

from agora.store import listings, ranking, search_index
from agora.store.models import Listing
from agora.store.query import parse
from tests.store.helpers import publish


def test_candidates_come_most_used_first_across_popularity_slices(database):
    ids = [publish(database, f"Zebrafinch {n}", description="a zebrafinch helper") for n in range(60)]
    with database.session() as session:
        for n, gpt_id in enumerate(ids):  # usage unrelated to publishing order
            listing = session.scalar(select(Listing).where(Listing.gpt_id == gpt_id))
            listings.set_usage(session, listing, conversations=(n * 37) % 61 * 1000)
    with database.session() as session:
        if database.dialect == "postgresql":
            session.execute(text("ANALYZE store_listings"))
            search_index._groups.clear()
            assert len(search_index.tier_groups(session)) > 1  # the statistics split the tiers
        keys = dict(session.execute(select(Listing.id, Listing.search_key)).all())
        tier_order = sorted(keys[i] >> ranking.TIER_BITS for i in keys)
        index = search_index.index_for(session)
        for limit in (1, 5, 20, 60, 100):
            found = [c.listing_id for c in index.candidates(session, parse("zebrafinch"), limit=limit)]
            assert len(set(found)) == len(found) == min(limit, 60)
            assert [keys[i] >> ranking.TIER_BITS for i in found] == tier_order[:limit]  # busiest tiers first
        assert index.candidates(session, parse("zebrafinch nowhere"), limit=10) == []


def test_a_query_reads_each_word_once():
    assert parse("Agent agent détaillé AGENT", prefix_last=True).terms == ("agent", "detaille")

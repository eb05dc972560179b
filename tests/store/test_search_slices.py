"""Search reads matches in popularity order (by tier), whichever way the index gets them there."""

import pytest
from sqlalchemy import select, text

from agora.store import listings, ranking, search_index, search_postgres
from agora.store.models import Listing
from agora.store.query import parse
from tests.store.helpers import publish


@pytest.mark.parametrize("whole_read", [0, search_postgres.WHOLE_READ])
def test_candidates_come_most_used_first_across_popularity_slices(database, monkeypatch, whole_read):
    # PostgreSQL reads a band whole when few matches are expected, else tier by tier: both.
    monkeypatch.setattr(search_postgres, "WHOLE_READ", whole_read)
    ids = [publish(database, f"Zebrafinch {n}", description="a zebrafinch helper") for n in range(60)]
    with database.session() as session:
        for n, gpt_id in enumerate(ids):  # usage unrelated to publishing order
            listing = session.scalar(select(Listing).where(Listing.gpt_id == gpt_id))
            listings.set_usage(session, listing, conversations=(n * 37) % 61 * 1000)
    with database.session() as session:
        if database.dialect == "postgresql":
            session.execute(text("ANALYZE store_listings"))
            reads = search_postgres.statistics(session, None).plan(parse("zebrafinch"), names_only=False)
            assert len([tiers for tiers, _ in reads if tiers]) > 1  # the statistics split the store
        keys = dict(session.execute(select(Listing.id, Listing.search_key)).all())
        tier_order = sorted(keys[i] >> ranking.TIER_BITS for i in keys)
        index = search_index.index_for(session)
        for limit in (1, 5, 20, 60, 100):
            found = [c.listing_id for c in index.candidates(session, parse("zebrafinch"), limit=limit)]
            assert len(set(found)) == len(found) == min(limit, 60)
            assert [keys[i] >> ranking.TIER_BITS for i in found] == tier_order[:limit]  # busiest tiers first
        assert index.candidates(session, parse("zebrafinch nowhere"), limit=10) == []


def test_a_query_reads_each_word_once():
    query = parse("Agent agent détaillé AGENT", prefix_last=True)
    assert query.terms == ("agent", "detaille") and query.words == ("Agent", "détaillé")


def test_postgresql_reads_a_band_whole_when_few_matches_are_expected():
    stats = search_postgres.Statistics(
        listings=3_000_000,
        tier_share={10: 0.00001, 20: 0.01, 21: 0.0001, 22: 0.0001, 27: 0.01, 28: 0.1, 29: 0.1, 30: 0.2, 31: 0.58},
        word_share={"design": 0.12, "assist": 0.09, "english": 0.05, "languag": 0.07},
        name_share={"design": 0.01},
        unlisted_share=0.01,
    )

    def reads(q):
        return stats.plan(parse(q), names_only=False)

    # A common word: the busy bands tier by tier (stop once the pool is full), neighbouring
    # tiers with few expected matches together (here 0-20: 3,600 expected matches at tier 20
    # alone, so it is read alone, and 21-26 hold 72 together); the one-tier bands whole.
    busy = [(tuple(range(20)), False), ((20,), False), (tuple(range(21, 27)), False), ((27,), False)]
    assert reads("design") == [*busy, ((28,), False), ((29,), False), ((30,), True), ((31,), True)]
    # Common words that rarely meet (3 M x 0.09 x 0.05 x 0.07 = 945, 32 in the busiest band): every band whole.
    assert reads("assistant english language") == [(tuple(range(28)), True), ((28, 29), True), ((30,), True), ((31,), True)]
    # A prefix (type-ahead) has no known frequency: tier by tier.
    assert ((28,), False) in stats.plan(parse("desi", prefix_last=True), names_only=True)
    # Before the first ANALYZE, every band is read whole.
    empty = search_postgres.Statistics(0.0, {}, {}, {}, 1.0)
    assert [whole for _, whole in empty.plan(parse("design"), names_only=False)] == [True] * 4

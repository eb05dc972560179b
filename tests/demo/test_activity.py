"""The demo store's made-up activity (issue 20 item 3): long-tailed conversations, ratings, a few
reviews per popular GPT, marked as demo and never usage, so the revenue pool pays nothing for it."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.demo.activity import REVIEWED_FROM, REVIEWER_EMAIL_DOMAIN, REVIEWS_PER_GPT
from agora.demo.models import DemoActivity
from agora.demo.seed import seed_demo
from agora.gpts.models import Gpt
from agora.metering import batch
from agora.metering.models import DailyGptUserUsage, UsageRecord
from agora.payouts.pool import Rules
from agora.payouts.run import run_month
from agora.store.models import Listing, Review
from tests.browser.layout import assert_fits_the_screen
from tests.payouts.test_pool import _month, _paid_invoice

# As lenient as the pool can be: any GPT with one user-day from any builder would share it.
EVERYONE = Rules(share_percent=20, min_users=1, min_units=1, user_days_cap=10, verified_builders_only=False)


def test_the_demo_store_gets_long_tailed_marked_activity_once(database):
    report = seed_demo(database)
    assert report.gpts_with_activity == 505
    with database.session() as session:
        marks = {row.gpt_id: row for row in session.scalars(select(DemoActivity))}
        listings = {row.gpt_id: row for row in session.scalars(select(Listing))}
        # Every catalogue GPT, and only those: the GPTs that act (agora.demo.acting) are new and have no made-up past.
        catalogue_ids = set(session.scalars(select(Gpt.id).where(Gpt.source.like("lobehub:%"))))
        assert marks.keys() == catalogue_ids and catalogue_ids <= listings.keys()
        conversations = sorted(mark.conversations for mark in marks.values())
        median, top = statistics.median(conversations), conversations[-1]
        assert 30 <= median <= 400 and top > 50 * median  # a long tail: most GPTs modest, a few huge
        assert sum(conversations[-5:]) > sum(conversations[:250])  # the top 1 % outweigh the bottom half
        for gpt_id, mark in marks.items():  # the listing's numbers are exactly the demo's: nothing else happened
            listing = listings[gpt_id]
            assert (listing.conversations, listing.rating_count, listing.rating_sum) == (mark.conversations, mark.rating_count, mark.rating_sum)
            assert listing.rating_count <= listing.rating_sum <= 5 * listing.rating_count
            assert listing.trending == 0 or mark.conversations > 0  # no activity, no trending
        assert sum(1 for listing in listings.values() if listing.trending > 0) > 300  # most were used in the last two weeks
        popular = [mark for mark in marks.values() if mark.conversations >= REVIEWED_FROM]
        assert popular and all(mark.reviews == REVIEWS_PER_GPT for mark in popular)
        assert session.scalar(select(func.count()).select_from(Review)) == sum(mark.reviews for mark in marks.values())
        reviewers = session.scalars(select(User).join(Review, Review.user_id == User.id)).all()
        assert {user.email.rsplit("@")[1] for user in reviewers} == {REVIEWER_EMAIL_DOMAIN}
        assert all(user.password_hash is None for user in reviewers)  # nobody can log in as a demo reviewer
        # Demo activity is never usage: nothing the metering or the pool reads was written.
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 0
        assert session.scalar(select(func.count()).select_from(DailyGptUserUsage)) == 0

    again = seed_demo(database)
    assert again.gpts_with_activity == 0
    with database.session() as session:
        assert session.scalar(select(func.sum(Listing.conversations))) == sum(conversations)


def test_demo_activity_never_feeds_the_revenue_pool_and_real_use_of_a_demo_gpt_does(database):
    month, start, end = _month()
    seed_demo(database)
    _paid_invoice(database, "payer@example.com", 2000)
    with database.session() as session:
        [result] = run_month(session, month, EVERYONE, dry_run=True, now=end)
        assert result.pool == 400_000 and result.allocated == 0 and result.parts == []  # 505 GPTs "used", none paid
        busiest = session.scalar(select(DemoActivity.gpt_id).order_by(DemoActivity.conversations.desc()).limit(1))
        reader = accounts.create_user(session, email="reader@example.com", display_name="Reader", password=None)
        session.flush()
        batch.ingest(session, [{"idempotency_key": "real-use", "user_id": reader.id, "gpt_id": busiest, "gpt_version": 1, "model": "m",
                                "source": "web", "status": "complete", "prompt_tokens": 1, "completion_tokens": 1, "latency_ms": 1,
                                "created_at": max(start, datetime.now(UTC) - timedelta(minutes=1))}])
    with database.session() as session:
        [result] = run_month(session, month, EVERYONE, dry_run=True, now=end)
        assert [(part.engagement.gpt_id, part.engagement.units) for part in result.parts] == [(busiest, 1)]  # one real user-day
        assert result.allocated == result.pool


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_seeded_front_shows_ratings_chats_and_reviews(page, database, width):
    page.set_viewport_size({"width": width, "height": 900})
    seed_demo(database)
    page.goto("/")
    writing = page.locator("section", has=page.get_by_role("heading", name="Top in Writing"))
    expect(writing.locator(".rank")).to_have_text(["1", "2", "3", "4", "5", "6"])
    expect(writing.locator(".card .rating").first).to_contain_text("★")
    expect(writing.locator(".card").first).to_contain_text("chats")
    assert_fits_the_screen(page)
    with database.session() as session:
        reviewed = session.scalar(select(DemoActivity.gpt_id).where(DemoActivity.reviews > 0).limit(1))
    page.goto(f"/g/{reviewed}")
    expect(page.locator(".review")).to_have_count(REVIEWS_PER_GPT)
    assert_fits_the_screen(page)

"""Made-up store activity for the demo catalogue, so a new install does not look empty.

Each demo GPT gets a conversation count drawn from a long-tailed (log-normal) distribution,
as real stores have (most GPTs are barely used, a few are used enormously), ratings in
proportion, the last two weeks of that activity in its trending score, and the most used
ones a few written reviews by demo reviewers (accounts nobody can log in to).

Demo activity is marked: a `demo_activity` row per GPT says what was added. It goes into
the listing's counters and trending score only, never into usage (usage_records and its
daily rollups), which is all the revenue pool reads (agora.payouts.engagement): it earns no
builder anything (docs/payouts.md). Draws are seeded by each GPT's source, so every demo
store looks the same; a GPT that already has its row is left alone, so seeding again adds
nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.demo.models import DemoActivity
from agora.gpts.models import Gpt
from agora.store import listings, ranking, trending
from agora.store.models import Listing, Review
from agora.text import slugify

REVIEWER_EMAIL_DOMAIN = "reviewers.agora.example"
# Conversations ~ log-normal: median e^4.6 (about 100), one GPT in a hundred past 20,000.
LOG_MEDIAN, LOG_SPREAD, MOST_CONVERSATIONS = 4.6, 2.1, 3_000_000
RECENT_DAYS = 14  # the activity the trending score sees
REVIEWED_FROM = 2_000  # conversations from which a GPT gets written reviews
REVIEWS_PER_GPT = 3

# (display name, language of their reviews)
REVIEWERS: tuple[tuple[str, str], ...] = (
    ("Maya Chen", "en"), ("Tom Becker", "en"), ("Priya Nair", "en"), ("Lucas Moreau", "fr"), ("Chloé Martin", "fr"),
    ("Sam Okafor", "en"), ("Elena Rossi", "en"), ("Hugo Lefèvre", "fr"), ("Nora Lindqvist", "en"), ("Inès Haddad", "fr"),
    ("Daniel Kim", "en"), ("Camille Roux", "fr"),
)
REVIEW_TEXTS: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        5: ("Does exactly what it says. I use it every week now.", "Clear, quick answers that stay on topic. Saved me hours.",
            "The best one I have tried for this. The starters are a great way in."),
        4: ("Very useful; now and then it needs a second, more precise question.", "Good answers, sometimes a bit long. Still my go-to.",
            "Solid and reliable. I would love a little more detail on edge cases."),
        3: ("Fine for a first draft, but I check everything it says.", "Helpful at times, generic at others."),
        2: ("Often misses what I ask; I went back to doing it myself.",),
        1: ("Did not work for me at all.",),
    },
    "fr": {
        5: ("Fait exactement ce qui est promis. Je m’en sers chaque semaine.", "Des réponses claires et rapides. Un vrai gain de temps.",
            "Le meilleur que j’ai essayé pour ça. Les suggestions de départ aident beaucoup."),
        4: ("Très utile ; il faut parfois reformuler la question.", "Bonnes réponses, parfois un peu longues. Je l’utilise quand même souvent.",
            "Solide et fiable. J’aimerais un peu plus de détails sur les cas particuliers."),
        3: ("Correct pour un premier jet, mais je vérifie tout.", "Utile par moments, trop général à d’autres."),
        2: ("Passe souvent à côté de la question ; je suis revenu à la main.",),
        1: ("N’a pas du tout marché pour moi.",),
    },
}


@dataclass(frozen=True)
class Draw:
    """One demo GPT's made-up activity."""

    conversations: int
    rating_count: int
    mean_rating: float
    recent_share: float  # of the conversations, how many happened in the last RECENT_DAYS


def draw(source: str) -> Draw:
    """The same draw for the same GPT on every install (seeded by its source, not by chance)."""
    rng = random.Random(f"agora-demo-activity:{source}")
    conversations = min(MOST_CONVERSATIONS, int(rng.lognormvariate(LOG_MEDIAN, LOG_SPREAD)))
    # About one conversation in fifty leaves a rating; the least used often have none yet.
    rating_count = int(conversations * rng.uniform(0.01, 0.04))
    # Ratings lean high, as store ratings do: mostly 3.6 to 4.9, a few poor ones.
    mean_rating = round(1 + 4 * rng.betavariate(6, 1.6), 2)
    return Draw(conversations, rating_count, mean_rating, recent_share=rng.uniform(0.02, 0.35))


def seed_activity(session: Session, today: date) -> int:
    """Give every demo GPT in the store that has none yet its made-up activity; returns how many got it."""
    rows = session.execute(
        select(Listing, Gpt.source)
        .join(Gpt, Gpt.id == Listing.gpt_id)
        .outerjoin(DemoActivity, DemoActivity.gpt_id == Listing.gpt_id)
        .where(Gpt.source.like("lobehub:%"), DemoActivity.gpt_id.is_(None))
        .order_by(Listing.id)
    ).all()
    if not rows:
        return 0
    reviewers = _reviewers(session)
    scores: dict[str, float] = {}
    for listing, source in rows:
        assert source is not None  # selected by it
        picked = draw(source)
        rng = random.Random(f"agora-demo-reviews:{source}")
        written = _reviews(session, listing, picked, reviewers, rng, today) if picked.conversations >= REVIEWED_FROM else []
        rating_sum = _rating_sum(picked, written)
        listing.rating_sum += rating_sum
        listing.rating_count += picked.rating_count
        listing.rating_score = ranking.bayesian_rating(listing.rating_sum, listing.rating_count)
        listings.set_usage(session, listing, conversations=listing.conversations + picked.conversations)
        scores[listing.gpt_id] = _recent_score(picked, rng, today)
        session.add(DemoActivity(gpt_id=listing.gpt_id, conversations=picked.conversations, rating_sum=rating_sum,
                                 rating_count=picked.rating_count, reviews=len(written)))
    session.flush()
    trending.add_points(session, scores)
    return len(rows)


def _rating_sum(picked: Draw, written: list[int]) -> int:
    """The sum of the draw's ratings: the written reviews' stars plus the silent votes around the mean."""
    silent = picked.rating_count - len(written)
    return sum(written) + min(5 * silent, max(silent, round(picked.mean_rating * silent)))


def _recent_score(picked: Draw, rng: random.Random, today: date) -> float:
    """The last RECENT_DAYS of the draw's activity, weighted by day as real usage is (store.trending)."""
    per_day = picked.conversations * picked.recent_share / RECENT_DAYS
    weights = []
    for days_ago in range(RECENT_DAYS):
        conversations = round(per_day * rng.uniform(0.5, 1.5))  # whole conversations, users and messages, as usage counts them
        points = trending.activity_points(new_users=round(conversations * 0.7), new_conversations=conversations, messages=conversations * 6)
        weights.append(trending.weighted(points, today - timedelta(days=days_ago)))
    return trending.total(weights)


def _reviews(session: Session, listing: Listing, picked: Draw, reviewers: list[tuple[User, str]], rng: random.Random, today: date) -> list[int]:
    """A few written reviews near the GPT's mean rating, by different demo reviewers; their stars."""
    stars = []
    for user, language in rng.sample(reviewers, min(REVIEWS_PER_GPT, len(reviewers), picked.rating_count)):
        rating = max(1, min(5, round(rng.gauss(picked.mean_rating, 0.7))))
        written = datetime.combine(today - timedelta(days=rng.randint(1, 90)), time(rng.randint(7, 22), rng.randint(0, 59)), tzinfo=UTC)
        session.add(Review(gpt_id=listing.gpt_id, user_id=user.id, rating=rating, body=rng.choice(REVIEW_TEXTS[language][rating]),
                           created_at=written, updated_at=written))
        stars.append(rating)
    return stars


def _reviewers(session: Session) -> list[tuple[User, str]]:
    """The demo reviewers' accounts (made on first use; no password: nobody can log in as them)."""
    found = []
    for name, language in REVIEWERS:
        email = f"{slugify(name)}@{REVIEWER_EMAIL_DOMAIN}"
        user = accounts.user_by_email(session, email) or accounts.create_user(
            session, email=email, display_name=name, password=None, language=language, handle=accounts.free_handle(session, name),
        )
        found.append((user, language))
    return found

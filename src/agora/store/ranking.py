"""The numbers behind discovery: quality, popularity, search keys and the final blend.

Every formula here is written out in docs/ranking.md; keep the two in step.
"""

from __future__ import annotations

import math

# Bayesian average: every GPT starts with PRIOR_VOTES imaginary votes at PRIOR_MEAN, so one
# 5-star vote does not beat a thousand 4.8s.
PRIOR_VOTES = 10
PRIOR_MEAN = 3.5

# Search: how much quality and popularity lift a text match (relevance is in 0..1).
QUALITY_WEIGHT = 0.25
POPULARITY_WEIGHT = 0.5
POPULARITY_SCALE = 7.0  # log10 of the conversations at which popularity saturates (10 M)

# Search keys: a popularity tier in the high bits, the listing id below.
TIER_BITS = 40
MAX_TIER = 31


def bayesian_rating(rating_sum: int, rating_count: int) -> float:
    return (PRIOR_VOTES * PRIOR_MEAN + rating_sum) / (PRIOR_VOTES + rating_count)


def quality(rating_score: float, rating_count: int) -> float:
    """0..1; unrated GPTs sit at the prior, neither helped nor punished much."""
    score = rating_score if rating_count else PRIOR_MEAN
    return max(0.0, min(1.0, (score - 1) / 4))


def popularity(conversations: int) -> float:
    return min(1.0, math.log10(1 + max(conversations, 0)) / POPULARITY_SCALE)


def popularity_tier(conversations: int) -> int:
    """0 for the most used GPTs, MAX_TIER for unused ones: one tier per doubling."""
    return MAX_TIER - min(MAX_TIER, int(math.log2(1 + max(conversations, 0))))


def search_key(listing_id: int, conversations: int) -> int:
    return (popularity_tier(conversations) << TIER_BITS) | listing_id


def blend(relevance: float, *, rating_score: float, rating_count: int, conversations: int) -> float:
    """Final search score: text relevance lifted by quality and popularity."""
    return relevance * (
        1 + QUALITY_WEIGHT * quality(rating_score, rating_count) + POPULARITY_WEIGHT * popularity(conversations)
    )


def conversation_bucket(conversations: int) -> str:
    """The rounded count a card shows: "1K+", "10K+", ... (exact counts invite gaming)."""
    for threshold, label in ((1_000_000, "1M+"), (100_000, "100K+"), (10_000, "10K+"), (1_000, "1K+"), (100, "100+"), (10, "10+")):
        if conversations >= threshold:
            return label
    return ""

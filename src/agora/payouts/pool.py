"""The revenue pool's arithmetic, exact to the milli-cent: the pool a month's revenue makes,
which GPTs are eligible, and each one's part by the largest-remainder method.

Pure functions over integers (docs/payouts.md states the same formulas; a test holds the
two together): whatever the order the GPTs come in, the parts sum to the pool exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rules:
    share_percent: int  # of net revenue that goes to the pool
    min_users: int  # distinct users a GPT needs in the month
    min_units: int  # engagement units a GPT needs in the month
    user_days_cap: int  # days one user can count for one GPT in a month
    verified_builders_only: bool


@dataclass(frozen=True, slots=True)
class Engagement:
    gpt_id: str
    builder_id: int
    users: int  # distinct users who talked to the GPT in the month (the exclusions applied)
    units: int  # conversation-days: Σ over those users of min(days they talked to it, the cap)
    builder_verified: bool


@dataclass(frozen=True, slots=True)
class Part:
    engagement: Engagement
    amount: int  # millis


def pool_of(net_revenue: int, share_percent: int) -> int:
    """floor(net revenue × share / 100); nothing from a month whose net is not positive."""
    return max(0, net_revenue) * share_percent // 100


def eligible(engagement: Engagement, rules: Rules) -> bool:
    return (engagement.users >= rules.min_users and engagement.units >= max(1, rules.min_units)
            and (engagement.builder_verified or not rules.verified_builders_only))


def largest_remainder(total: int, weights: Sequence[int], tiebreak: Sequence[str]) -> list[int]:
    """Split `total` in proportion to `weights`: each gets floor(total × w / W), and the units
    left over go one each to the largest remainders (ties to the smallest tiebreak key).
    The parts sum to `total` exactly whenever W > 0."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    parts, remainders = [], []
    for index, weight in enumerate(weights):
        part, remainder = divmod(total * weight, whole)
        parts.append(part)
        remainders.append((-remainder, tiebreak[index], index))
    for _negated, _key, index in sorted(remainders)[: total - sum(parts)]:
        parts[index] += 1
    return parts


def allocate(pool: int, engagements: Iterable[Engagement], rules: Rules) -> list[Part]:
    """The pool pro rata to the eligible GPTs' engagement units."""
    chosen = sorted((e for e in engagements if eligible(e, rules)), key=lambda e: e.gpt_id)
    amounts = largest_remainder(pool, [e.units for e in chosen], [e.gpt_id for e in chosen])
    return [Part(engagement, amount) for engagement, amount in zip(chosen, amounts, strict=True)]

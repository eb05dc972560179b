"""Proration to the cent, in integers only. The rule (docs/billing.md):

When a subscription changes mid-period at time t, the customer is credited for the unused
part of what they were *charged* for the current segment, and charged for the new price
over the rest of the period:

    credit = floor(charged × (end − t) / (end − segment_start))
    charge = floor(new_amount × (end − t) / (end − period_start))

Both round down (floor): a credit never exceeds what was paid, a charge never exceeds the
list price. Because each credit is taken from an amount actually charged, the money kept
for every segment is `charged − credit ≥ 0`, and over any sequence of changes the sum of
all invoice lines equals the money kept per segment plus the last segment's charge:
nothing is created or lost. Times are whole seconds.
"""

from __future__ import annotations

from dataclasses import dataclass


def _check(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are integer minor units")
    if amount < 0:
        raise ValueError("a price cannot be negative")


@dataclass(frozen=True)
class Change:
    credit: int  # minor units returned for the unused part of the current segment (>= 0)
    charge: int  # minor units for the new price over the rest of the period (>= 0)


def prorate(*, charged: int, segment_start: int, new_amount: int, period_start: int, period_end: int, at: int) -> Change:
    """`charged` was billed for [segment_start, period_end); switch to `new_amount` (a full period's price) at `at`."""
    _check(charged)
    _check(new_amount)
    if not period_start <= segment_start <= at <= period_end or period_start == period_end:
        raise ValueError("the change must fall inside the current segment of a non-empty period")
    remaining = period_end - at
    segment = period_end - segment_start
    credit = charged * remaining // segment if segment else 0
    charge = new_amount * remaining // (period_end - period_start)
    return Change(credit=credit, charge=charge)

"""Property tests: proration over any sequence of plan changes never creates or loses a cent."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.billing.proration import prorate

PERIOD = 30 * 24 * 3600
amounts = st.integers(min_value=0, max_value=10_000_000)


@settings(max_examples=300, deadline=None)
@given(first=amounts, changes=st.lists(st.tuples(st.integers(min_value=0, max_value=PERIOD), amounts), max_size=12))
def test_any_sequence_of_changes_keeps_every_cent(first, changes):
    changes = sorted(changes)
    lines = [first]  # the first period is billed in full at its start
    charged, segment_start, amount = first, 0, first
    kept, ideal = 0, Fraction(0)
    for at, new_amount in changes:
        step = prorate(charged=charged, segment_start=segment_start, new_amount=new_amount, period_start=0, period_end=PERIOD, at=at)
        assert 0 <= step.credit <= charged  # never refund more than was paid for this segment
        assert 0 <= step.charge <= new_amount  # never charge more than the list price
        lines += [-step.credit, step.charge]
        kept += charged - step.credit
        ideal += Fraction(amount * (at - segment_start), PERIOD)
        charged, segment_start, amount = step.charge, at, new_amount
    ideal += Fraction(amount * (PERIOD - segment_start), PERIOD)
    assert sum(lines) == kept + charged  # conservation: every line is money kept for a segment or the last charge
    # Rounding costs at most a cent per credit and per charge: the customer pays the time-weighted price to within that.
    assert abs(sum(lines) - ideal) <= 2 * len(changes) + 1


def test_a_change_halfway_through_a_month():
    step = prorate(charged=2000, segment_start=0, new_amount=6000, period_start=0, period_end=PERIOD, at=PERIOD // 2)
    assert (step.credit, step.charge) == (1000, 3000)  # the invoice's two lines: 2000 owed
    third = prorate(charged=2000, segment_start=0, new_amount=2000, period_start=0, period_end=PERIOD, at=PERIOD // 3)
    assert (third.credit, third.charge) == (1333, 1333)  # both round down: a cent never appears from nowhere


@pytest.mark.parametrize("bad", [19.99, -1, True, "2000"])
def test_negative_or_fractional_amounts_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        prorate(charged=bad, segment_start=0, new_amount=100, period_start=0, period_end=PERIOD, at=10)
    with pytest.raises((TypeError, ValueError)):
        prorate(charged=100, segment_start=0, new_amount=bad, period_start=0, period_end=PERIOD, at=10)


def test_a_change_outside_the_segment_is_refused():
    with pytest.raises(ValueError):
        prorate(charged=100, segment_start=50, new_amount=100, period_start=0, period_end=PERIOD, at=10)

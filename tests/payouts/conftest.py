"""Payout fixtures: the Stripe stand-in, configured on the test server (from tests/billing)."""

from tests.billing.conftest import stripe_api  # noqa: F401 (fixture)

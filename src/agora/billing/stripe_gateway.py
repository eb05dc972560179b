"""The `stripe` gateway: Checkout Sessions and the Customer Portal through the official SDK.

AGORA_STRIPE_API_BASE points the SDK elsewhere (the tests' local stand-in of the Stripe
API); nothing else changes. Which Stripe Price sells which plan is configured in
AGORA_STRIPE_PRICES as `plan:interval=price_id` pairs.
"""

from __future__ import annotations

import stripe

from agora.billing.models import Subscription
from agora.config import Settings
from agora.errors import AgoraError, InvalidInput
from agora.i18n import gettext as _


def price_ids(settings: Settings) -> dict[tuple[str, str], str]:
    pairs = {}
    for item in filter(None, (part.strip() for part in settings.stripe_prices.split(","))):
        key, _sep, price = item.partition("=")
        plan, _sep, interval = key.partition(":")
        pairs[(plan.strip(), interval.strip() or "month")] = price.strip()
    return pairs


class StripeGateway:
    name = "stripe"
    starts_locally = False

    def __init__(self, settings: Settings) -> None:
        self.client = stripe.StripeClient(settings.stripe_api_key or "", max_network_retries=1,
                                          base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else None)
        self.prices = price_ids(settings)

    def checkout_url(self, *, workspace_id: int, plan_code: str, seats: int, interval: str, success_url: str, cancel_url: str) -> str:
        """A Checkout Session; nothing changes in Agora until its webhook says it completed."""
        price = self.prices.get((plan_code, interval))
        if price is None:
            raise InvalidInput(_("The %(plan)s plan cannot be bought online here; ask the operator.", plan=plan_code), field="plan")
        session = self.client.v1.checkout.sessions.create(params={
            "mode": "subscription",
            "line_items": [{"price": price, "quantity": seats}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(workspace_id),
            "metadata": {"workspace_id": str(workspace_id), "plan": plan_code, "interval": interval, "seats": str(seats)},
        })
        if session.url is None:  # a hosted Checkout Session always has one: without it there is no page to send the buyer to
            raise AgoraError(_("Stripe did not return a payment page. Try again in a moment."), code="stripe_no_page", status=502)
        return session.url

    def credit_checkout_url(self, *, user_id: int, amount: int, currency: str, success_url: str, cancel_url: str) -> str:
        """A one-off payment for credit; its webhook (`checkout.session.completed`, paid) credits what Stripe collected."""
        session = self.client.v1.checkout.sessions.create(params={
            "mode": "payment",
            "line_items": [{"price_data": {"currency": currency.lower(), "unit_amount": amount, "product_data": {"name": "Agora credit"}},
                            "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(user_id),
            "metadata": {"credits_user_id": str(user_id)},
        })
        if session.url is None:
            raise AgoraError(_("Stripe did not return a payment page. Try again in a moment."), code="stripe_no_page", status=502)
        return session.url

    def transfer(self, *, amount: int, currency: str, destination: str, idempotency_key: str, description: str) -> str:
        """A Connect transfer to a builder's account (agora.payouts); its id. The idempotency key makes a retried call (a run
        killed after asking, then restarted) the same transfer. Raises stripe.StripeError: a refusal, or an unanswered call."""
        transfer = self.client.v1.transfers.create(
            params={"amount": amount, "currency": currency.lower(), "destination": destination, "description": description[:200]},
            options={"idempotency_key": idempotency_key})
        return transfer.id

    def portal_url(self, subscription: Subscription, *, return_url: str) -> str | None:
        if not subscription.customer_id:
            return None
        portal = self.client.v1.billing_portal.sessions.create(params={"customer": subscription.customer_id, "return_url": return_url})
        return portal.url

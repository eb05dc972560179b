"""Payment gateways behind one small interface, chosen by AGORA_BILLING_GATEWAY.

`offline` (the default) collects nothing online: invoices stay open until an admin marks
them paid (self-hosting, bank transfer, tests). `stripe` sends customers to a Stripe
Checkout Session and learns the outcome from signed webhooks (billing.stripe_webhooks).
"""

from __future__ import annotations

from typing import Protocol

from agora.billing.models import Subscription
from agora.config import Settings


class Gateway(Protocol):
    name: str
    # True: subscriptions start in Agora at once and invoices wait for an admin (offline).
    # False: the customer pays at the gateway first; its webhook starts the subscription.
    starts_locally: bool

    def checkout_url(self, *, workspace_id: int, plan_code: str, seats: int, interval: str, success_url: str, cancel_url: str) -> str | None:
        """Where to send the customer to pay, or None when nothing is collected online."""

    def portal_url(self, subscription: Subscription, *, return_url: str) -> str | None:
        """Where the customer manages cards and cancels, or None."""

    def credit_checkout_url(self, *, user_id: int, amount: int, currency: str, success_url: str, cancel_url: str) -> str | None:
        """Where to pay for `amount` minor units of credit, or None when credit is not sold online (agora.credits)."""


class Offline:
    name = "offline"
    starts_locally = True

    def checkout_url(self, **_details) -> str | None:
        return None

    def portal_url(self, subscription: Subscription, *, return_url: str) -> str | None:
        return None

    def credit_checkout_url(self, **_details) -> str | None:
        return None


def gateway_for(settings: Settings) -> Gateway:
    if settings.billing_gateway == "stripe":
        from agora.billing.stripe_gateway import StripeGateway

        return StripeGateway(settings)
    return Offline()

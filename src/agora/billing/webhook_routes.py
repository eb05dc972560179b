"""The Stripe webhook endpoint. Mounted without CSRF: Stripe has no cookie; the signature authenticates it."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request

from agora.billing import stripe_webhooks
from agora.web.deps import AppSettings, Db

router = APIRouter(tags=["billing"])


@router.post("/api/billing/stripe/webhook")
async def stripe_webhook(request: Request, db: Db, settings: AppSettings) -> dict:
    """Stripe events (checkout completed, invoices paid or failed, subscription updated or deleted), each applied once."""
    payload = await request.body()
    event = stripe_webhooks.verify(payload, request.headers.get("stripe-signature"), settings)

    def apply() -> str:
        with db.session() as session:
            return stripe_webhooks.process(session, event, settings)

    return {"received": True, "result": await anyio.to_thread.run_sync(apply)}

"""Billing fixtures: the chat stand-in (from tests/chat), a server without the sign-up trial,
and helpers to put a user on a plan the way an operator does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agora.accounts import service as accounts
from agora.billing.cli import apply_plan
from tests.billing.stripe_standin import ACACIA, StripeStandIn, event, sign
from tests.chat.conftest import ChatClient, make_gpt, sse_events, standin_server, upstream  # noqa: F401 (fixtures)


@pytest.fixture
def no_trial(server, upstream) -> Iterator[None]:
    """New sign-ups start on Free, as they do with AGORA_TRIAL_DAYS=0."""
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"trial_days": 0})
    yield
    server.app.state.settings = before


def put_on_plan(database, email: str, plan: str, seats: int | None = None) -> None:
    with database.session() as session:
        apply_plan(session, accounts.user_by_email(session, email), plan, seats=seats)


def signed_up(make_browser, email: str) -> ChatClient:
    browser = make_browser()
    assert browser.signup(email=email, name=email.split("@")[0]).status_code == 303
    return ChatClient(browser)


def send_status(client: ChatClient, conversation_id: str, content: str = "hello"):
    """The HTTP answer to a send: 200 and the SSE events, or the refusal's status and JSON."""
    with client.stream(f"/api/conversations/{conversation_id}/messages", {"content": content}) as response:
        if response.status_code == 200:
            return 200, sse_events(response)
        response.read()
        return response.status_code, response.json()


SECRET = "whsec_test_secret"
WEBHOOK = "/api/billing/stripe/webhook"


@pytest.fixture
def stripe_api(server):
    standin = StripeStandIn()
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={
        "billing_gateway": "stripe", "stripe_api_key": "sk_test_123", "stripe_webhook_secret": SECRET, "stripe_api_base": standin.base_url,
        "stripe_prices": "plus:month=price_plus_m,team:month=price_team_m", "trial_days": 0,
    })
    yield standin
    server.app.state.settings = before
    standin.close()


def post(client, payload: bytes, signature: str):
    return client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": signature, "content-type": "application/json"})


def deliver(client, kind: str, obj: dict, event_id: str, created: int | None = None, api_version: str = ACACIA):
    payload = event(kind, obj, event_id=event_id, created=created, api_version=api_version)
    return post(client, payload, sign(payload, SECRET))

"""Credit and prices on the web: /credits (balance, allowance, buying), a GPT's price (builder), and their JSON twins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from agora.accounts.models import User
from agora.billing.entitlements import plan_in_force
from agora.billing.gateways import gateway_for
from agora.config import Settings
from agora.credits import holds, pricing, purchases
from agora.credits.errors import money
from agora.errors import AgoraError, InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Text, whole_number
from agora.web.deps import AppSettings, CurrentUser, Db, public_link
from agora.web.json_route import JsonRoute
from agora.web.templating import render

router = APIRouter()
api = APIRouter(prefix="/api", tags=["credits"], route_class=JsonRoute)


class CreditsOut(BaseModel):
    currency: str
    balance: int = Field(description="The credit, in millis (1,000 to the minor unit)")
    available: int = Field(description="The credit less what replies being written hold, in millis")
    allowance: int = Field(description="Messages to priced GPTs the plan includes each calendar month")
    allowance_used: int
    packs: list[int] = Field(description="The amounts that can be bought, in minor units")
    buy_online: bool = Field(description="Whether credit is sold through the payment gateway here (else: ask the operator)")


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(description="Minor units: one of `packs`", strict=True)


class CheckoutOut(BaseModel):
    checkout_url: str


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Checked by agora.credits.pricing (422 naming the field and the operator's bounds), not here, so every path says the same.
    price_per_message: StrictInt | StrictFloat | StrictStr | StrictBool | None = Field(
        description="Minor units (cents) per message within the operator's bounds; null: free")


class PriceOut(BaseModel):
    id: str
    price_per_message: int | None = Field(description="Minor units (cents) per message, or null for a free GPT")
    currency: str


def _summary(session, user: User, settings: Settings) -> CreditsOut:
    currency = settings.credits_currency
    return CreditsOut(currency=currency, balance=holds.credit_balance(session, user.id, currency),
                      available=max(holds.available_credit(session, user.id, currency), 0),
                      allowance=plan_in_force(session, user, settings).entitlements.priced_messages_per_month,
                      allowance_used=holds.allowance_used(session, user.id), packs=purchases.packs(settings),
                      buy_online=settings.billing_gateway != "offline")


def _checkout(request: Request, user: User, amount: int, settings: Settings) -> str:
    amount = purchases.check_pack(amount, settings)
    url = gateway_for(settings).credit_checkout_url(user_id=user.id, amount=amount, currency=settings.credits_currency,
                                                    success_url=public_link(request, "credits_page") + "?bought=1",
                                                    cancel_url=public_link(request, "credits_page"))
    if url is None:
        raise InvalidInput(_("Credit is not sold online on this store: ask its operator, who records a bank transfer as credit."), field="amount")
    return url


@router.get("/credits")
def credits_page(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    return _page(request, user, db, settings)


def _page(request: Request, user: User, db, settings: Settings, *, error: str = "", status: int = 200) -> Response:
    with db.session() as session:
        summary = _summary(session, user, settings)
        movements = purchases.history(session, user.id, settings.credits_currency)
    return render(request, "credits/credits.html", status, summary=summary, movements=movements, money=money, error=error,
                  bought=request.query_params.get("bought") == "1")


@router.post("/credits/buy")
def buy(request: Request, user: CurrentUser, db: Db, settings: AppSettings, amount: Annotated[Text, Form()] = "") -> Response:
    try:
        chosen = whole_number(amount, field="amount", default=0, minimum=1, maximum=purchases.MAX_PURCHASE)
        return RedirectResponse(_checkout(request, user, chosen, settings), status_code=303)
    except AgoraError as error:
        return _page(request, user, db, settings, error=error.message, status=error.status)


@router.get("/gpts/{gpt_id}/price")
def price_page(request: Request, gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    """The builder's price form: the current price, the operator's bounds and the commission."""
    with db.session() as session:
        gpt = pricing.priced_by(session, user, gpt_id)
        value = "" if gpt.price_per_message is None else str(gpt.price_per_message)
        return _price_page(request, gpt, settings, value=value, saved=request.query_params.get("saved") == "1")


@router.post("/gpts/{gpt_id}/price")
def price_form(request: Request, gpt_id: Text, user: CurrentUser, db: Db, settings: AppSettings,
               price: Annotated[Text, Form()] = "") -> Response:
    """Cents, or empty for a free GPT; a refused price comes back with the reason next to the field."""
    try:
        with db.session() as session:
            pricing.set_price(session, user, gpt_id, pricing.typed(price), settings)
    except AgoraError as error:
        if error.field != "price_per_message":
            raise
        with db.session() as session:
            return _price_page(request, pricing.priced_by(session, user, gpt_id), settings, value=price, error=error.message, status=error.status)
    return RedirectResponse(f"/gpts/{gpt_id}/price?saved=1", status_code=303)


def _price_page(request: Request, gpt, settings: Settings, *, value: str, saved: bool = False, error: str = "", status: int = 200) -> Response:
    return render(request, "credits/price.html", status, gpt=gpt, value=value, saved=saved, error=error, currency=settings.credits_currency,
                  low=pricing.label(settings.message_price_min, settings.credits_currency),
                  high=pricing.label(settings.message_price_max, settings.credits_currency),
                  low_cents=settings.message_price_min, high_cents=settings.message_price_max, commission=settings.commission_percent,
                  small_commission=settings.commission_small_builder_percent,
                  threshold=pricing.label(settings.commission_small_builder_threshold, settings.credits_currency))


@api.get("/me/credits", response_model=CreditsOut)
def credits_json(user: CurrentUser, db: Db, settings: AppSettings) -> CreditsOut:
    """Your credit (millis), what your plan includes of priced messages this month, and what can be bought."""
    with db.session() as session:
        return _summary(session, user, settings)


@api.post("/me/credits/checkout", response_model=CheckoutOut)
def credits_checkout(body: CheckoutIn, request: Request, user: CurrentUser, settings: AppSettings) -> CheckoutOut:
    """A payment page for one of the credit packs; the credit arrives with the gateway's webhook, once."""
    return CheckoutOut(checkout_url=_checkout(request, user, body.amount, settings))


@api.put("/gpts/{gpt_id}/price", response_model=PriceOut)
def set_price(gpt_id: Text, body: PriceIn, user: CurrentUser, db: Db, settings: AppSettings) -> PriceOut:
    """Set your GPT's price per message (minor units, within the operator's bounds) or make it free (null).

    Shown on its page and in the chat before the first message; charged from the next message sent."""
    with db.session() as session:
        gpt = pricing.set_price(session, user, gpt_id, body.price_per_message, settings)
        return PriceOut(id=gpt.id, price_per_message=gpt.price_per_message, currency=settings.credits_currency)

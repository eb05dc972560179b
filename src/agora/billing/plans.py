"""Plans as data: the defaults seeded on migrate, reading them, and an admin's edits.

Prices are integer minor units with an ISO currency, never floats. A Team price is per
seat; an Enterprise plan has no list price (it is invoiced on a custom contract).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.billing.models import Plan
from agora.errors import InvalidInput, NotFound
from agora.i18n import gettext as _

FREE, PLUS, TEAM, ENTERPRISE = "free", "plus", "team", "enterprise"

# Bounds on what a plan and a subscription can hold (docs/billing.md). A period's price is at
# most MAX_AMOUNT × MAX_SEATS = 10^12 minor units, so every amount Agora stores (invoice lines
# and totals, what a segment charged) fits the 64-bit columns of both databases with room to
# spare, and no admin's edit can make a later subscribe fail.
MAX_AMOUNT = 100_000_000  # minor units per seat per period: 1,000,000.00 in the currency
MAX_SEATS = 10_000  # a bigger organisation signs a custom (Enterprise) contract
MAX_RATE = 1_000_000_000  # messages per window, API requests or tokens per minute


class Entitlements(BaseModel):
    """What a plan allows. None for a number means unlimited."""

    model_config = ConfigDict(extra="forbid")

    use_store_gpts: bool = Field(description="Chat with GPTs other builders made.")
    create_gpts: bool = True
    publish_to_store: bool = False
    messages_per_window: int | None = Field(ge=0, le=MAX_RATE, description="Messages per rolling window (AGORA_QUOTA_WINDOW_HOURS).")
    api_access: bool = False
    api_requests_per_minute: int = Field(0, ge=0, le=MAX_RATE)
    api_tokens_per_minute: int = Field(0, ge=0, le=MAX_RATE)
    # Minor units per million tokens, in the plan's currency.
    api_input_price_per_million: int = Field(0, ge=0, le=MAX_AMOUNT)
    api_output_price_per_million: int = Field(0, ge=0, le=MAX_AMOUNT)
    # Messages to priced GPTs (agora.credits) the plan pays for each calendar month (per user); past them, the user's credit pays.
    priced_messages_per_month: int = Field(0, ge=0, le=MAX_RATE, description="Messages to priced GPTs included each month.")


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    amount: int = Field(ge=0, le=MAX_AMOUNT, description="Minor units (cents) per seat per period: never a float.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    interval: str = Field(pattern=r"^(month|year)$")
    per_seat: bool = False


def _api(rpm: int, tpm: int) -> dict[str, Any]:
    return {"api_access": rpm > 0, "api_requests_per_minute": rpm, "api_tokens_per_minute": tpm,
            "api_input_price_per_million": 15, "api_output_price_per_million": 60}


DEFAULT_PLANS: list[dict[str, Any]] = [
    {"code": FREE, "name": "Free", "prices": [{"amount": 0, "currency": "USD", "interval": "month", "per_seat": False}],
     "entitlements": {"use_store_gpts": False, "create_gpts": True, "publish_to_store": False, "messages_per_window": 10, **_api(0, 0)}},
    {"code": PLUS, "name": "Plus", "prices": [{"amount": 2000, "currency": "USD", "interval": "month", "per_seat": False}],
     "entitlements": {"use_store_gpts": True, "create_gpts": True, "publish_to_store": True, "messages_per_window": 80, **_api(60, 100_000),
                      "priced_messages_per_month": 50}},
    {"code": TEAM, "name": "Team", "min_seats": 2,
     "prices": [{"amount": 30000, "currency": "USD", "interval": "year", "per_seat": True},
                {"amount": 3000, "currency": "USD", "interval": "month", "per_seat": True}],
     "entitlements": {"use_store_gpts": True, "create_gpts": True, "publish_to_store": True, "messages_per_window": 100, **_api(120, 200_000),
                      "priced_messages_per_month": 100}},
    {"code": ENTERPRISE, "name": "Enterprise", "prices": [],
     "entitlements": {"use_store_gpts": True, "create_gpts": True, "publish_to_store": True, "messages_per_window": None, **_api(600, 1_000_000),
                      "priced_messages_per_month": 300}},
]
PLAN_CODES = tuple(p["code"] for p in DEFAULT_PLANS)  # codes are fixed; prices and entitlements are data


def check_plan(plan: str | None) -> None:
    """Refuse plans that do not exist."""
    if plan is not None and plan not in PLAN_CODES:
        known = ", ".join(PLAN_CODES)
        raise InvalidInput(_("Unknown plan %(plan)r. Known plans: %(known)s.", plan=plan, known=known), field="plan")


def ensure_default_plans(session: Session) -> None:
    """Create the default plans that do not exist yet; never touches plans an admin edited."""
    existing = set(session.scalars(select(Plan.code)))
    for position, spec in enumerate(DEFAULT_PLANS):
        if spec["code"] not in existing:
            session.add(Plan(position=position, min_seats=spec.get("min_seats", 1), **{k: v for k, v in spec.items() if k != "min_seats"}))


def all_plans(session: Session, *, public_only: bool = True) -> list[Plan]:
    statement = select(Plan).order_by(Plan.position)
    if public_only:
        statement = statement.where(Plan.public.is_(True))
    return list(session.scalars(statement))


def get_plan(session: Session, code: str) -> Plan:
    plan = session.get(Plan, code)
    if plan is None:
        known = ", ".join(session.scalars(select(Plan.code).order_by(Plan.position)))
        raise NotFound(_("Unknown plan %(plan)r. Known plans: %(known)s.", plan=code, known=known), field="plan")
    return plan


def entitlements(plan: Plan) -> Entitlements:
    return Entitlements.model_validate(plan.entitlements)


def edit_plan(session: Session, code: str, *, name: str | None = None, prices: list[dict] | None = None,
              entitlements_patch: dict | None = None, min_seats: int | None = None) -> Plan:
    """An admin's change; validated whole so a plan can never hold a float price or a bad key."""
    plan = get_plan(session, code)
    if prices is not None:
        plan.prices = [_valid(Price, p, field="prices").model_dump() for p in prices]
    if entitlements_patch:
        plan.entitlements = _valid(Entitlements, {**plan.entitlements, **entitlements_patch}, field="entitlements").model_dump()
    if name is not None:
        if not name.strip() or not name.isprintable():
            raise InvalidInput(_("A plan needs a name, without control characters."), field="name")
        plan.name = name.strip()[:60]
    if min_seats is not None:
        if not 1 <= min_seats <= MAX_SEATS:
            raise InvalidInput(_("A plan's minimum seats is a whole number from 1 to %(max)s.", max=MAX_SEATS), field="min_seats")
        plan.min_seats = min_seats
    return plan


def _valid(shape: type[BaseModel], data: Any, *, field: str):
    """An admin's edit refused whole (422, nothing changed) on its first wrong value."""
    try:
        return shape.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", field=field) from error

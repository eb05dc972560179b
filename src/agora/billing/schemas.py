"""Shapes of the billing JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from agora.inputs import Text


class PriceOut(BaseModel):
    amount: int  # minor units (cents)
    currency: str
    interval: str
    per_seat: bool


class PlanOut(BaseModel):
    code: str
    name: str
    prices: list[PriceOut]
    custom_price: bool
    min_seats: int
    entitlements: dict


class PlanEdit(BaseModel):
    name: Text | None = None
    prices: list[dict] | None = None
    entitlements: dict | None = None
    min_seats: int | None = None


class UsageByGpt(BaseModel):
    gpt_id: str
    name: str
    messages: int


class UsageOut(BaseModel):
    plan: str
    status: str
    window_hours: int
    messages_in_window: int
    limit: int | None
    frees_at: datetime | None
    by_gpt: list[UsageByGpt]

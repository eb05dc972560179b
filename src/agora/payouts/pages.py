"""/builders/me/earnings (the page) and /api/builders/me/earnings (JSON): what a builder earned and why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agora.billing.views import money
from agora.payouts import earnings
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter()
api = APIRouter(prefix="/api", tags=["payouts"])


def millis(amount: int, currency: str) -> str:
    """$12.34, or $12.345 when the amount is not whole cents (shares are exact to the milli-cent)."""
    cents, rest = divmod(abs(amount), 1000)
    shown = money(cents if amount >= 0 else -cents, currency)
    return shown + (f"{rest:03d}".rstrip("0") if rest else "")


@router.get("/builders/me/earnings")
def earnings_page(request: Request, user: CurrentUser, db: Db) -> Response:
    with db.session() as session:
        found = earnings.of_builder(session, user.id)
    cap = request.app.state.settings.pool_user_days_cap
    return render(request, "payouts/earnings.html", earnings=found, millis=millis, cap=cap)


@api.get("/builders/me/earnings", response_model=earnings.Earnings)
def earnings_json(user: CurrentUser, db: Db) -> earnings.Earnings:
    """Month by month (newest first): the builder's engagement, what each GPT earned from the revenue pool and why
    (the month's pool and eligible units), commission and payouts; amounts in millis (1,000 to the cent)."""
    with db.session() as session:
        return earnings.of_builder(session, user.id)

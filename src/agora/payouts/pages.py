"""/builders/me/earnings (the page) and /api/builders/me/earnings (JSON): what a builder earned and why."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agora.billing.views import money
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.inputs import Text, refuse_unstorable
from agora.payouts import earnings, profiles, statements
from agora.payouts.models import Payout, PayoutProfile, PayoutSkip
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


@api.get("/builders/me/statements/{month}", response_model=earnings.MonthEarnings,
         responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}})
def statement(month: Text, user: CurrentUser, db: Db, format: Literal["json", "csv", "pdf"] = "json", currency: Text = "") -> Response | earnings.MonthEarnings:
    """The builder's statement for a month (YYYY-MM) in JSON, CSV or PDF: engagement, earnings by GPT and source,
    commission, adjustments, payout. `currency` picks one when the month has several."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InvalidInput(f"The month is YYYY-MM, e.g. 2026-11, not {month!r}.", field="month")
    with db.session() as session:
        found = [m for m in earnings.of_builder(session, user.id).months if m.month == month and (not currency or m.currency == currency.upper())]
    if not found:
        raise NotFound(f"No statement for {month}: the month has not been run yet, or your GPTs earned nothing from it.")
    if len(found) > 1:
        raise InvalidInput(f"{month} has earnings in {', '.join(m.currency for m in found)}: choose one with ?currency=.", field="currency")
    [chosen] = found
    name = f"agora-statement-{month}-{chosen.currency}"
    if format == "csv":
        return Response(statements.as_csv(chosen, millis), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "pdf":
        document = statements.as_pdf(chosen, millis, builder=f"{user.display_name} <{user.email}>", issued=utcnow())
        return Response(document, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return chosen


@router.get("/builders/me/payouts")
def payouts_page(request: Request, user: CurrentUser, db: Db) -> Response:
    return _payouts_page(request, user, db, saved=request.query_params.get("saved") == "1")


@router.post("/builders/me/payouts")
async def save_payout_details(request: Request, user: CurrentUser, db: Db) -> Response:
    """The payout details and tax information form: saved whole, or shown again with the first wrong field."""
    form = {key: refuse_unstorable(str(value), field=key) for key, value in (await request.form()).items() if key in profiles.FIELDS}
    try:
        with db.session() as session:
            profiles.save(session, user, form)
    except InvalidInput as error:
        return _payouts_page(request, user, db, values=form, errors={error.field or "method": error.message}, status=error.status)
    return RedirectResponse("/builders/me/payouts?saved=1", status_code=303)


def _payouts_page(request: Request, user, db, *, values: dict | None = None, errors: dict | None = None, saved: bool = False,
                  status: int = 200) -> Response:
    with db.session() as session:
        profile = session.get(PayoutProfile, user.id)
        paid = list(session.scalars(select(Payout).where(Payout.builder_id == user.id).order_by(Payout.id.desc()).limit(24)))
        skipped = list(session.scalars(select(PayoutSkip).where(PayoutSkip.builder_id == user.id).order_by(PayoutSkip.month.desc()).limit(12)))
    shown = values if values is not None else {name: getattr(profile, name) for name in profiles.FIELDS} if profile else {"method": "stripe"}
    settings = request.app.state.settings
    return render(request, "payouts/details.html", status, values=shown, errors=errors or {}, saved=saved, complete=profile is not None,
                  payouts=paid, skipped=skipped, millis=millis, minimum=money(settings.payout_minimum, settings.credits_currency),
                  hold_days=settings.payout_hold_days)

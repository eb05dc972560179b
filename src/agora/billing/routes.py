"""Billing pages: /pricing (plans side by side, and choosing one), /usage (the signed-in user's messages),
/billing (the workspace's plan and invoices) and the printable invoice."""

from __future__ import annotations

import secrets

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agora.accounts.models import Membership, Workspace
from agora.billing import confirmations, entitlements, idempotency, invoices, plans, self_service, views
from agora.errors import AgoraError, NotFound
from agora.i18n import gettext as _
from agora.inputs import Text, refuse_unstorable, whole_number
from agora.web.confirm import confirmation_page
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer, public_link
from agora.web.templating import render

router = APIRouter()


@router.get("/pricing")
def pricing(request: Request, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    return _pricing_page(request, db, viewer, settings)


@router.get("/pricing/confirm")
def confirm_plan(request: Request, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    """The step between a plan button and the change: names the plan, the seats and the amount.

    A GET that changes nothing; its button sends the same form to POST /pricing (with the
    pricing page's idempotency key, so a double click still changes the plan once).
    """
    form = {key: refuse_unstorable(value, field=key) for key, value in request.query_params.items()}
    try:
        with db.session() as session:
            view = views.pricing(session, viewer, settings)
        confirm = confirmations.plan_change(view, form, language=request.state.language)
    except AgoraError as error:
        return _pricing_page(request, db, viewer, settings, error=error.message, status=error.status)
    return confirmation_page(request, confirm)


@router.post("/pricing")
async def choose_plan(request: Request, db: Db, viewer: CurrentUser, settings: AppSettings) -> Response:
    """The plan buttons: choose or change the plan of the workspace you work in, or cancel it."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    # In the thread pool: a change waits for the workspace's previous one (billing.serial), never on the event loop.
    return await anyio.to_thread.run_sync(_choose, request, db, viewer, settings, form)


def _choose(request: Request, db: Db, viewer, settings, form: dict[str, str]) -> Response:
    text = lambda key: refuse_unstorable(form.get(key) or "", field=key)  # noqa: E731 - a tiny local reader
    try:
        # Rendered with the page: a form sent twice (a double click, a retried POST) changes the plan once.
        key = idempotency.client_key(f"pricing:{text('idempotency_key')}" if text("idempotency_key") else None)
        with db.session() as session:
            if text("action") == "cancel":
                self_service.cancel(session, viewer, at_period_end=True)
                return RedirectResponse("/pricing?notice=canceled", status_code=303)
            seats = whole_number(text("seats"), field="seats", default=1, minimum=1, maximum=plans.MAX_SEATS)
            choice = self_service.choose(
                session, viewer, settings, plan=text("plan"), seats=seats, interval=text("interval") or "month", key=key,
                return_url=public_link(request, "usage_page"), cancel_url=public_link(request, "pricing"),
            )
    except AgoraError as error:
        return _pricing_page(request, db, viewer, settings, error=error.message, status=error.status)
    if away := choice.checkout_url or choice.portal_url:
        return RedirectResponse(away, status_code=303)
    invoice = f"&invoice={choice.invoice}" if choice.invoice else ""
    return RedirectResponse(f"/pricing?notice=changed{invoice}", status_code=303)


def _pricing_page(request: Request, db: Db, viewer, settings, *, error: str | None = None, status: int = 200) -> Response:
    with db.session() as session:
        view = views.pricing(session, viewer, settings)
    return render(request, "billing/pricing.html", status, view=view, price_label=views.price_label, monthly=views.monthly_equivalent,
                  window_hours=settings.quota_window_hours, user=viewer, error=error, form_key=secrets.token_urlsafe(12),
                  notice=request.query_params.get("notice"), invoice=request.query_params.get("invoice"))


@router.get("/usage", name="usage_page")
def usage_page(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    with db.session() as session:
        usage = views.usage(session, user, settings)
        in_force = entitlements.plan_in_force(session, user, settings)
        trial_ends = entitlements.trial_ends(user, settings) if in_force.status == "trial" else None
        due = views.payment_due_for(session, user)
    return render(request, "billing/usage.html", usage=usage, plan_name=in_force.plan.name, trial_ends=trial_ends, user=user, payment_due=due)


@router.get("/billing", name="billing_page")
def billing_page(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    with db.session() as session:
        view = views.billing(session, user, settings)
    return render(request, "billing/billing.html", view=view, money=views.money_here, user=user, error=None)


@router.post("/billing/portal")
def billing_portal(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    """To Stripe's Customer Portal, which comes back to /billing."""
    try:
        with db.session() as session:
            url = self_service.portal_url(session, user, settings, return_url=public_link(request, "billing_page"))
    except AgoraError as error:
        with db.session() as session:
            view = views.billing(session, user, settings)
        return render(request, "billing/billing.html", error.status, view=view, money=views.money_here, user=user, error=error.message)
    return RedirectResponse(url, status_code=303)


@router.get("/billing/invoices/{number}")
def invoice_page(request: Request, number: Text, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    """A printable invoice, for members of its workspace and Agora admins."""
    with db.session() as session:
        invoice = invoices.by_number(session, number)
        member = session.scalar(select(Membership.id).where(Membership.workspace_id == invoice.workspace_id, Membership.user_id == user.id))
        if member is None and not user.is_admin:
            raise NotFound(_("There is no invoice %(number)s.", number=number))
        lines = invoices.lines_of(session, invoice)
        workspace = session.get(Workspace, invoice.workspace_id)
        pay_by = invoices.pay_by(session, invoice)
    return render(request, "billing/invoice.html", invoice=invoice, lines=lines, workspace=workspace, money=views.money_here, user=user,
                  seller=settings.billing_seller, instructions=settings.billing_payment_instructions, pay_by=pay_by,
                  offline=settings.billing_gateway == "offline")

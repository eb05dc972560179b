"""Billing pages: /pricing (plans side by side) and /usage (the signed-in user's messages)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sqlalchemy import select

from agora.accounts.models import Membership, Workspace
from agora.billing import entitlements, invoices, plans, views
from agora.errors import NotFound
from agora.i18n import gettext as _
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer
from agora.web.templating import render

router = APIRouter()


@router.get("/pricing")
def pricing(request: Request, db: Db, viewer: Viewer, settings: AppSettings) -> Response:
    with db.session() as session:
        shown = [views.plan_out(p) for p in plans.all_plans(session)]
        current = entitlements.plan_in_force(session, viewer, settings) if viewer else None
    return render(request, "billing/pricing.html", plans=shown, current=current, price_label=views.price_label,
                  window_hours=settings.quota_window_hours, user=viewer)


@router.get("/usage", name="usage_page")
def usage_page(request: Request, user: CurrentUser, db: Db, settings: AppSettings) -> Response:
    with db.session() as session:
        usage = views.usage(session, user, settings)
        in_force = entitlements.plan_in_force(session, user, settings)
        trial_ends = entitlements.trial_ends(user, settings) if in_force.status == "trial" else None
    return render(request, "billing/usage.html", usage=usage, plan_name=in_force.plan.name, trial_ends=trial_ends, user=user)


@router.get("/billing/invoices/{number}")
def invoice_page(request: Request, number: str, user: CurrentUser, db: Db) -> Response:
    """A printable invoice, for members of its workspace and Agora admins."""
    with db.session() as session:
        invoice = invoices.by_number(session, number)
        member = session.scalar(select(Membership.id).where(Membership.workspace_id == invoice.workspace_id, Membership.user_id == user.id))
        if member is None and not user.is_admin:
            raise NotFound(_("There is no invoice %(number)s.", number=number))
        lines = invoices.lines_of(session, invoice)
        workspace = session.get(Workspace, invoice.workspace_id)
    return render(request, "billing/invoice.html", invoice=invoice, lines=lines, workspace=workspace, money=views.money, user=user)

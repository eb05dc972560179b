"""Admin page for offline billing: the invoices waiting for payment, marked paid when the money arrives."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agora.accounts.models import Workspace
from agora.billing import payments, views
from agora.billing.models import Invoice
from agora.db import utcnow
from agora.errors import Forbidden, InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/admin")
STATUSES = ("open", "paid", "void")
SHOWN = 200  # the newest of a status; older ones are found by their number on /billing/invoices/{number}


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


@router.get("/invoices")
def invoices_page(request: Request, db: Db, user: CurrentUser, status: Text = "open") -> Response:
    _admin_only(user)
    if status not in STATUSES:
        raise InvalidInput(_("Show invoices that are open, paid or void."), field="status")
    with db.session() as session:
        rows = session.execute(
            select(Invoice, Workspace.name).join(Workspace, Workspace.id == Invoice.workspace_id)
            .where(Invoice.status == status).order_by(Invoice.id.desc()).limit(SHOWN)
        ).all()
    return render(request, "billing/admin_invoices.html", rows=rows, shown=status, money=views.money_here,
                  notice=request.query_params.get("paid"), user=user)


@router.post("/invoices/{number}/paid")
def mark_paid(number: Text, db: Db, user: CurrentUser) -> Response:
    """Record an offline payment (a transfer arrived); marking it twice changes nothing."""
    _admin_only(user)
    with db.session() as session:
        payments.mark_paid(session, number=number, now=utcnow())
    return RedirectResponse(f"/admin/invoices?paid={number}", status_code=303)

"""/admin/payouts: the operator's view of the revenue pool (months run, top earners, balances
owed to builders) and running a month from the page, as `agora payouts run` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from agora.accounts.models import User
from agora.errors import AgoraError, Forbidden
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.ledger import service as ledger
from agora.ledger.models import LedgerAccount
from agora.payouts.models import PoolMonth, PoolShare
from agora.payouts.pages import millis
from agora.payouts.run import rules_from, run_month
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/admin")
TOP = 20


def _admin_only(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


def _overview(session) -> dict:
    months = list(session.scalars(select(PoolMonth).order_by(PoolMonth.month.desc(), PoolMonth.currency).limit(24)))
    latest = months[0] if months else None
    top = []
    if latest is not None:
        top = session.execute(
            select(User.display_name, User.email, func.sum(PoolShare.amount).label("earned"), func.count(PoolShare.gpt_id))
            .join(User, User.id == PoolShare.builder_id)
            .where(PoolShare.month == latest.month, PoolShare.currency == latest.currency)
            .group_by(User.id, User.display_name, User.email).order_by(func.sum(PoolShare.amount).desc(), User.id).limit(TOP)
        ).all()
    owed = session.execute(select(LedgerAccount.currency, func.sum(LedgerAccount.balance), func.count())
                           .where(LedgerAccount.kind == ledger.BUILDER, LedgerAccount.balance > 0).group_by(LedgerAccount.currency)).all()
    return {"months": months, "latest": latest, "top": top, "owed": owed}


@router.get("/payouts")
def payouts_page(request: Request, db: Db, user: CurrentUser, preview: Text = "") -> Response:
    _admin_only(user)
    shown: dict = {"millis": millis, "values": {"month": preview}, "errors": {}, "results": None,
                   "ran": request.query_params.get("ran"), "posted": False}
    with db.session() as session:
        if preview:
            try:
                shown["results"] = run_month(session, preview, rules_from(request.app.state.settings), dry_run=True)
            except AgoraError as error:
                shown["errors"] = {"month": error.message}
            session.rollback()  # a preview writes nothing, whatever it read
        shown.update(_overview(session))
    return render(request, "payouts/admin.html", 422 if shown["errors"] else 200, **shown)


@router.post("/payouts/run")
def run(request: Request, db: Db, user: CurrentUser, month: Annotated[Text, Form()] = "") -> Response:
    """Allocate a month that is over; a month already run changes nothing (the page says so)."""
    _admin_only(user)
    try:
        with db.session() as session:
            run_month(session, month, rules_from(request.app.state.settings))
    except AgoraError as error:
        with db.session() as session:
            shown = _overview(session)
        return render(request, "payouts/admin.html", error.status, millis=millis, values={"month": month}, errors={"month": error.message},
                      results=None, ran=None, posted=True, **shown)
    return RedirectResponse(f"/admin/payouts?ran={month}", status_code=303)

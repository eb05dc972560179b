"""The billing JSON API: plans (public), the caller's usage, and an admin's plan edits."""

from __future__ import annotations

from fastapi import APIRouter

from agora.billing import plans, views
from agora.billing.schemas import PlanEdit, PlanOut, UsageOut
from agora.errors import Forbidden
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.deps import AppSettings, CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["billing"], route_class=JsonRoute)


@router.get("/plans", response_model=list[PlanOut])
def list_plans(db: Db):
    """Every public plan with its prices (`amount` in minor units, `currency`, `interval`) and entitlements."""
    with db.session() as session:
        return [views.plan_out(p) for p in plans.all_plans(session)]


@router.patch("/plans/{code}", response_model=PlanOut)
def edit_plan(code: Text, body: PlanEdit, user: CurrentUser, db: Db):
    """Admins only: change a plan's name, prices, minimum seats or entitlements (validated as a whole)."""
    if not user.is_admin:
        raise Forbidden(_("Only admins can change plans."))
    with db.session() as session:
        plan = plans.edit_plan(session, code, name=body.name, prices=body.prices, entitlements_patch=body.entitlements, min_seats=body.min_seats)
        return views.plan_out(plan)


@router.get("/usage", response_model=UsageOut)
def my_usage(user: CurrentUser, db: Db, settings: AppSettings):
    """Your plan, your messages in the current window (and when one frees up), and by GPT."""
    with db.session() as session:
        return views.usage(session, user, settings)

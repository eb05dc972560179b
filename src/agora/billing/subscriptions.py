"""Setting a workspace's plan by hand (the CLI, an admin), with an append-only event per change.

Subscriptions set here have no period end: the operator manages them (the offline
gateway). Seats are checked against the plan's minimum and the members already in the
workspace: a change that would leave members without a seat is refused, never applied.
A workspace Stripe still bills is refused too: Stripe would go on charging for a plan Agora
no longer applies (docs/billing.md says why it is not cancelled at Stripe from here).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User, Workspace
from agora.audit import chain as audit
from agora.billing import plans, serial
from agora.billing.models import Plan, Subscription, SubscriptionEvent
from agora.db import utcnow
from agora.errors import Conflict, InvalidInput
from agora.i18n import gettext as _
from agora.workspaces import members


def members_in(session: Session, workspace_id: int) -> int:
    return session.scalars(select(func.count()).where(Membership.workspace_id == workspace_id)).one()


def check_seats(session: Session, plan: Plan, workspace_id: int, seats: int) -> None:
    """Refuse seats out of bounds, below the plan's minimum, or fewer than the workspace's members."""
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= plans.MAX_SEATS:
        raise InvalidInput(_("Seats must be a whole number from 1 to %(max)s.", max=plans.MAX_SEATS), field="seats")
    if seats < plan.min_seats:
        raise InvalidInput(_("The %(plan)s plan needs at least %(min)s seats.", plan=plan.name, min=plan.min_seats), field="seats")
    in_use = members_in(session, workspace_id)
    if seats < in_use:
        raise InvalidInput(_("This workspace has %(used)s members; remove members before going down to %(seats)s seats.", used=in_use, seats=seats),
                           field="seats")


def subscription_of(session: Session, workspace_id: int) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.workspace_id == workspace_id))


def paid_seats(session: Session, workspace_id: int) -> int | None:
    """The seats a team pays for, or None without a plan in force (workspaces.members counts members against this)."""
    subscription = subscription_of(session, workspace_id)
    return subscription.seats if subscription and subscription.status not in ("canceled", "expired") else None


members.read_paid_seats_with(paid_seats)


def record(session: Session, subscription: Subscription, kind: str, data: dict, *, idempotency_key: str | None = None) -> None:
    session.add(SubscriptionEvent(subscription_id=subscription.id, kind=kind, data=data, idempotency_key=idempotency_key))
    if kind == "ignored":  # a Stripe event that changed nothing
        return
    # Every plan change passes here (operator, checkout, Stripe, the billing clock): the audit log hears of each.
    audit.record(session, f"plan.{kind}", actor_label=str(data.get("actor") or subscription.gateway), workspace_id=subscription.workspace_id,
                 target_type="subscription", target_id=subscription.id, details={"plan": subscription.plan_code, "status": subscription.status, **data})


def set_plan(session: Session, *, workspace: Workspace, plan_code: str, seats: int | None = None, actor: str = "admin") -> Subscription:
    """The operator's plan for a workspace; setting the plan it already has changes nothing."""
    serial.hold(session, workspace.id)
    plan = plans.get_plan(session, plan_code)
    seats = seats if seats is not None else max(plan.min_seats, members_in(session, workspace.id))
    check_seats(session, plan, workspace.id, seats)
    subscription = subscription_of(session, workspace.id)
    if subscription is None:
        subscription = Subscription(workspace_id=workspace.id, plan_code=plan.code, status="active", seats=seats,
                                    current_period_start=utcnow(), current_period_end=None, gateway="offline")
        session.add(subscription)
        session.flush()
        record(session, subscription, "created", {"plan": plan.code, "seats": seats, "actor": actor})
        return subscription
    session.refresh(subscription)  # as the workspace's last change left it
    _refuse_if_stripe_bills(subscription)
    before = {"plan": subscription.plan_code, "seats": subscription.seats, "status": subscription.status}
    if before == {"plan": plan.code, "seats": seats, "status": "active"} and subscription.current_period_end is None:
        return subscription
    subscription.plan_code, subscription.seats, subscription.status = plan.code, seats, "active"
    # The operator's from now: an ended Stripe subscription's late events must not change it.
    subscription.gateway, subscription.external_id = "offline", None
    subscription.current_period_end, subscription.pay_by, subscription.updated_at = None, None, utcnow()
    record(session, subscription, "changed", {"from": before, "to": {"plan": plan.code, "seats": seats, "status": "active"}, "actor": actor})
    return subscription


def _refuse_if_stripe_bills(subscription: Subscription) -> None:
    if subscription.gateway == "stripe" and subscription.external_id and subscription.status not in ("canceled", "expired"):
        raise Conflict(_(
            "Stripe still bills this workspace (subscription %(stripe_id)s): a plan set here would not stop its charges. "
            "Cancel %(stripe_id)s in the Stripe Dashboard first (Agora follows once Stripe says it ended), "
            "or change the plan there.", stripe_id=subscription.external_id,
        ), code="stripe_managed")


def team_workspace_for(session: Session, user: User) -> Workspace:
    """The user's first team workspace they own, created (with them as owner) if they have none."""
    from agora.workspaces.service import create_team

    owned = session.scalar(select(Workspace).where(Workspace.owner_id == user.id, Workspace.kind == "team").order_by(Workspace.id))
    return owned or create_team(session, owner=user, name=_("%(name)s's team", name=user.display_name))

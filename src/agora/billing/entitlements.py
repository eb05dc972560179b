"""The one entitlement check: pages, the JSON API, the chat runtime and /v1 all call it.

The plan in force for a user is, in order: the subscription of the team workspace they
chose to work in, their personal workspace's subscription, the sign-up trial (Plus for
AGORA_TRIAL_DAYS after sign-up), and otherwise Free. A trial needs no row and no job:
it simply stops applying, so it always ends cleanly into Free. It applies once: as soon as
the personal workspace has had a plan of its own (bought, or set by the operator), the
trial is over for good, even when that plan ends inside the trial's days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import Membership, User, Workspace
from agora.billing import plans
from agora.billing.errors import PlanRequired
from agora.billing.models import Plan, Subscription
from agora.config import Settings
from agora.db import utcnow
from agora.gpts.models import Gpt
from agora.i18n import gettext as _

# Subscriptions in these states grant their plan; past_due keeps it while payment is retried.
GRANTING = ("trialing", "active", "past_due")


@dataclass(frozen=True)
class PlanInForce:
    plan: Plan
    status: str  # a subscription state, "trial" (the sign-up trial) or "free"
    workspace_id: int | None

    @property
    def entitlements(self) -> plans.Entitlements:
        return plans.entitlements(self.plan)


def plan_in_force(session: Session, user: User, settings: Settings) -> PlanInForce:
    chosen, personal = _subscriptions(session, user)
    now = utcnow()
    for subscription in chosen + personal:
        if grants(subscription, now):
            return PlanInForce(session.get_one(Plan, subscription.plan_code), subscription.status, subscription.workspace_id)
    if not personal and user.password_hash is not None and settings.trial_days > 0 and user.created_at > utcnow() - timedelta(days=settings.trial_days):
        return PlanInForce(plans.get_plan(session, plans.PLUS), "trial", None)
    return PlanInForce(plans.get_plan(session, plans.FREE), "free", None)


def grants(subscription: Subscription, now: datetime) -> bool:
    """In a granting state, inside its period, and not past the deadline of an unpaid first invoice."""
    return (subscription.status in GRANTING and (subscription.current_period_end is None or subscription.current_period_end > now)
            and (subscription.pay_by is None or subscription.pay_by > now))


def trial_ends(user: User, settings: Settings):
    return user.created_at + timedelta(days=settings.trial_days)


def _subscriptions(session: Session, user: User) -> tuple[list[Subscription], list[Subscription]]:
    """That of the team workspace the user works in (see workspaces), and that of their personal one, whatever their state."""
    from agora.workspaces.service import active_workspace_id

    rows = list(session.execute(
        select(Subscription, Workspace.kind)
        .join(Workspace, Workspace.id == Subscription.workspace_id)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id)
    ))
    active = active_workspace_id(session, user)
    chosen = [s for s, kind in rows if kind == "team" and s.workspace_id == active]
    personal = [s for s, kind in rows if kind == "personal"]
    return chosen, personal


def _plan_allowing(session: Session, flag: str) -> Plan:
    """The cheapest public plan with `flag` on: the one a refusal suggests."""
    for plan in plans.all_plans(session):
        if getattr(plans.entitlements(plan), flag):
            return plan
    return plans.get_plan(session, plans.ENTERPRISE)


def check_use(session: Session, user: User, gpt: Gpt, settings: Settings) -> PlanInForce:
    """Refuse a GPT by another builder (outside the user's workspaces) unless the plan allows it."""
    in_force = plan_in_force(session, user, settings)
    check_use_under(session, user, gpt, in_force)
    return in_force


def check_use_under(session: Session, user: User, gpt: Gpt, in_force: PlanInForce) -> None:
    """check_use with the plan in force already known (/v1 keeps it per key for a few seconds)."""
    if gpt.owner_id == user.id or _shares_workspace(session, user, gpt):
        return
    from agora.workspaces.service import store_gpts_blocked

    if in_force.status not in ("trial", "free") and store_gpts_blocked(session, in_force.workspace_id):
        raise PlanRequired(
            _("Your workspace's admins turned off GPTs from the store. Ask them, or switch to your personal workspace."),
            plan=in_force.plan.code,
        )
    if not in_force.entitlements.use_store_gpts:
        better = _plan_allowing(session, "use_store_gpts")
        raise PlanRequired(
            _("Chatting with GPTs made by other builders needs the %(plan)s plan; you are on %(current)s. Upgrade at /pricing.",
              plan=better.name, current=in_force.plan.name),
            plan=better.code,
        )


def check_api_access(session: Session, user: User, settings: Settings) -> PlanInForce:
    """Refuse /v1 (any model) unless the plan in force includes API access."""
    in_force = plan_in_force(session, user, settings)
    if not in_force.entitlements.api_access:
        better = _plan_allowing(session, "api_access")
        raise PlanRequired(
            _("API access needs the %(plan)s plan; you are on %(current)s. Upgrade at /pricing.", plan=better.name, current=in_force.plan.name),
            plan=better.code,
        )
    return in_force


def check_create(session: Session, user: User, settings: Settings) -> PlanInForce:
    """Refuse creating a GPT (from scratch, by fork or by import) unless the plan allows it."""
    in_force = plan_in_force(session, user, settings)
    if not in_force.entitlements.create_gpts:
        better = _plan_allowing(session, "create_gpts")
        raise PlanRequired(
            _("Creating GPTs needs the %(plan)s plan; you are on %(current)s. Upgrade at /pricing.", plan=better.name, current=in_force.plan.name),
            plan=better.code,
        )
    return in_force


def check_store_listing(session: Session, user: User, settings: Settings) -> PlanInForce:
    """Refuse listing a GPT in the public store unless the plan allows publishing to it."""
    in_force = plan_in_force(session, user, settings)
    if not in_force.entitlements.publish_to_store:
        better = _plan_allowing(session, "publish_to_store")
        raise PlanRequired(
            _("Publishing to the store (visibility “Everyone”) needs the %(plan)s plan; you are on %(current)s. "
              "Share it with a link or your workspace instead, or upgrade at /pricing.", plan=better.name, current=in_force.plan.name),
            plan=better.code, field="visibility",
        )
    return in_force


def _shares_workspace(session: Session, user: User, gpt: Gpt) -> bool:
    return session.scalar(select(Membership.id).where(Membership.user_id == user.id, Membership.workspace_id == gpt.workspace_id)) is not None

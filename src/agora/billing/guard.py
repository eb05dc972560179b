"""What every reply passes before it starts: the entitlement check, then the message quota.

Called inside the transaction that stores the user's message, so a refusal stores
nothing and a counted message commits with the message itself.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.billing import entitlements, plans
from agora.billing.entitlements import PlanInForce
from agora.billing.errors import QuotaExceeded
from agora.config import Settings
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.metering import quota


def window(settings: Settings) -> timedelta:
    return timedelta(hours=settings.quota_window_hours)


def before_reply(session: Session, *, user: User, gpt: Gpt, settings: Settings) -> PlanInForce:
    in_force = entitlements.check_use(session, user, gpt, settings)
    count_message(session, user_id=user.id, gpt_id=gpt.id, limit=in_force.entitlements.messages_per_window, plan_name=in_force.plan.name, settings=settings)
    return in_force


def count_message(session: Session, *, user_id: int, gpt_id: str, limit: int | None, plan_name: str, settings: Settings) -> None:
    """Count one message to a GPT against the plan's quota, or refuse it when the window is full.

    /v1 calls this on its own, after its rate limiter, so a call the limiter refuses uses no quota.
    """
    decision = quota.consume(session, user_id=user_id, gpt_id=gpt_id, limit=limit, window=window(settings), redis_url=settings.redis_url)
    if not decision.allowed:
        raise QuotaExceeded(
            _("You have sent your %(limit)s messages for this %(hours)s-hour window on %(plan)s. More free up at %(time)s UTC; %(better)s allows more.",
              limit=limit, hours=settings.quota_window_hours, plan=plan_name,
              time=decision.frees_at.strftime("%H:%M"), better=_bigger_plan(session, limit)),
            retry_after=quota.seconds_until(decision.frees_at),
            plan=_bigger_plan_code(session, limit),
        )


def _bigger(session: Session, limit: int):
    for plan in plans.all_plans(session):
        allowed = plans.entitlements(plan).messages_per_window
        if allowed is None or allowed > limit:
            return plan
    return None


def _bigger_plan(session: Session, limit: int) -> str:
    plan = _bigger(session, limit)
    return plan.name if plan else _("no plan")


def _bigger_plan_code(session: Session, limit: int) -> str | None:
    plan = _bigger(session, limit)
    return plan.code if plan else None

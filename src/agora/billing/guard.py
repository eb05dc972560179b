"""The message quota every reply to a GPT passes before it starts (the entitlement check is agora.billing.entitlements).

Called inside the transaction that stores the user's message, so a refusal stores
nothing and a counted message commits with the message itself.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from agora.billing import plans
from agora.billing.errors import QuotaExceeded
from agora.config import Settings
from agora.i18n import gettext as _
from agora.metering import quota


def window(settings: Settings) -> timedelta:
    return timedelta(hours=settings.quota_window_hours)


def count_message(session: Session, *, user_id: int, gpt_id: str, limit: int | None, plan_name: str, settings: Settings) -> None:
    """Count one message to a GPT against the plan's quota, or refuse it when the window is full.

    The reply engine calls it once nothing else can refuse the reply (agora.replies.prepare);
    /v1 calls it on its own, after its rate limiter, so a call the limiter refuses uses no quota.
    """
    decision = quota.consume(session, user_id=user_id, gpt_id=gpt_id, limit=limit, window=window(settings), redis_url=settings.redis_url)
    if not decision.allowed:
        assert limit is not None and decision.frees_at is not None  # only a limit refuses, and it says when a send frees up
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

"""What a key may do on /v1: its owner's plan in force, and the per-minute limits it sets.

The plan's API entitlements give the key's requests and tokens per minute; a plan that
leaves one at 0 gets the operator's default from the settings. Finding the plan in force
takes a few queries, and every /v1 call needs it, so `KeyPlans` keeps it per key for a few
seconds: a plan change reaches a key within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from agora import events
from agora.accounts.api_keys import KeyHolder
from agora.billing import entitlements
from agora.billing.entitlements import PlanInForce
from agora.billing.plans import Entitlements
from agora.cache import TtlCache
from agora.config import Settings
from agora.ratelimit.buckets import Limits

CACHE_SECONDS = 5.0
# Keys remembered at most (the least recently used go first); expired ones are dropped as new ones come.
MAX_KEYS = 10_000


@dataclass(frozen=True)
class KeyPlan:
    """The plan in force for a key's owner, as /v1 needs it: limits, quota, and what usage is metered against."""

    code: str
    name: str
    workspace_id: int | None
    entitlements: Entitlements
    # All of it, for the checks that need more (entitlements.check_use_under: is a store GPT allowed?).
    in_force: PlanInForce = field(compare=False, repr=False)

    @classmethod
    def of(cls, in_force: PlanInForce) -> KeyPlan:
        return cls(in_force.plan.code, in_force.plan.name, in_force.workspace_id, in_force.entitlements, in_force)


def limits_for(plan: KeyPlan, settings: Settings) -> Limits:
    allowed = plan.entitlements
    return Limits(
        requests_per_minute=allowed.api_requests_per_minute or settings.api_requests_per_minute,
        tokens_per_minute=allowed.api_tokens_per_minute or settings.api_tokens_per_minute,
    )


class KeyPlans:
    """The plan of each key's owner, checked for API access, remembered for `seconds`."""

    def __init__(self, seconds: float = CACHE_SECONDS, clock=time.monotonic) -> None:
        self._entries = TtlCache(seconds, maxsize=MAX_KEYS, timer=clock)  # key's public id -> plan
        # Weakly: the application holds this (app.state.caches.api_plans); a revoked key's plan is dropped with it.
        events.subscribe(events.ApiKeyRevoked, self._revoked, weak=True)

    def get(self, session: Session, holder: KeyHolder, settings: Settings) -> KeyPlan:
        """Raises PlanRequired when the plan has no API access (refusals are not remembered)."""
        found = self._entries.peek(holder.public_id)
        if found is not None:
            return found
        plan = KeyPlan.of(entitlements.check_api_access(session, holder.user, settings))
        self._entries.put(holder.public_id, plan)
        return plan

    def _revoked(self, revoked: events.ApiKeyRevoked) -> None:
        self._entries.pop(revoked.public_id)

    def clear(self) -> None:
        self._entries.clear()

"""Who calls /v1, remembered in this process for a few seconds so the hot path reads no database.

Checking a key and finding its owner's plan take several queries in the thread pool; on a
gateway that costs more than the rest of the call. An entry maps the SHA-256 of the full
key (so a wrong secret never matches one) to its holder (user, scopes), the plan in force
and the key's expiry, for `CACHE_SECONDS`:

- a key revoked in this process is forgotten at once (api_keys publishes events.ApiKeyRevoked
  when the revocation commits); in another worker it keeps working for at most `CACHE_SECONDS`;
- an expired key is refused on time: the expiry is checked on every call, cached or not;
- a plan change reaches a key within `CACHE_SECONDS`, as before (api.openai.key_plans.KeyPlans);
- refusals (unknown, revoked, expired keys; plans without API access) are never remembered.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC

import anyio

from agora import events
from agora.accounts import api_keys
from agora.accounts import service as accounts
from agora.accounts.api_keys import KeyHolder
from agora.api.openai.errors import invalid_key, missing_scope
from agora.api.openai.key_plans import KeyPlan, KeyPlans
from agora.cache import TtlCache
from agora.config import Settings
from agora.db import Database

CACHE_SECONDS = 5.0
# Keys remembered at most (the least recently used go first); expired ones are dropped as new ones come.
MAX_KEYS = 10_000


@dataclass(frozen=True)
class Caller:
    holder: KeyHolder
    plan: KeyPlan  # checked for API access when the entry was made
    key_expires_at: float | None  # the key's own expiry (epoch seconds), checked on every call
    # What usage is metered against: the plan's workspace, else the owner's personal one (as
    # metering would look up for every record, here once per entry).
    usage_workspace_id: int | None


class CallerCache:
    def __init__(self, seconds: float = CACHE_SECONDS, clock=time.monotonic, wall_clock=time.time) -> None:
        self._wall_clock = wall_clock
        # SHA-256 of the key -> Caller, read again after `seconds`; filled from the thread pool, revoked from any thread.
        self._entries = TtlCache(seconds, maxsize=MAX_KEYS, timer=clock)
        events.subscribe(events.ApiKeyRevoked, self._revoked, weak=True)

    async def caller(self, authorization: str | None, scope: str, *, database: Database, plans: KeyPlans, settings: Settings) -> Caller:
        """The caller of a request with this Authorization header, allowed `scope`; else an OpenAIError (401/403) or PlanRequired."""
        try:
            raw_key = api_keys.bearer_token(authorization)
        except api_keys.KeyRefused as refused:
            raise invalid_key(refused.reason) from None
        digest = hashlib.sha256(raw_key.encode()).digest()
        found = self._entries.peek(digest)
        if found is None:
            found = await anyio.to_thread.run_sync(self._load, digest, raw_key, database, plans, settings)
        elif found.key_expires_at is not None and found.key_expires_at <= self._wall_clock():
            self._forget_digest(digest)
            raise invalid_key("expired")
        if not found.holder.allows(scope):
            raise missing_scope(scope)
        return found

    def _load(self, digest: bytes, raw_key: str, database: Database, plans: KeyPlans, settings: Settings) -> Caller:
        with database.session() as session:
            try:
                holder = api_keys.authenticate(session, raw_key)
            except api_keys.KeyRefused as refused:
                raise invalid_key(refused.reason) from None
            plan = plans.get(session, holder, settings)  # raises PlanRequired: not remembered
            expires = holder.expires_at.replace(tzinfo=UTC).timestamp() if holder.expires_at is not None else None
            workspace_id = plan.workspace_id if plan.workspace_id is not None else accounts.personal_workspace_id(session, holder.user)
        found = Caller(holder, plan, expires, workspace_id)
        self._entries.put(digest, found)
        return found

    def _revoked(self, revoked: events.ApiKeyRevoked) -> None:
        """Forget the key at once (api_keys publishes the revocation once it commits)."""
        self._entries.drop_where(lambda caller: caller.holder.public_id == revoked.public_id)

    def _forget_digest(self, digest: bytes) -> None:
        self._entries.pop(digest)

    def clear(self) -> None:
        self._entries.clear()

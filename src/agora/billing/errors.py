"""A refusal that names the plan which would allow the action and links to the upgrade page."""

from __future__ import annotations

from agora.errors import Forbidden, TooManyRequests

UPGRADE_URL = "/pricing"


class PlanRequired(Forbidden):
    code = "plan_required"

    def __init__(self, message: str, *, plan: str, field: str | None = None):
        super().__init__(message, field=field)
        self.plan = plan

    def as_json(self) -> dict:
        body = super().as_json()
        body["error"].update(plan=self.plan, upgrade_url=UPGRADE_URL)
        return body


class QuotaExceeded(TooManyRequests):
    code = "quota_exceeded"

    def __init__(self, message: str, *, retry_after: int, plan: str | None):
        super().__init__(message, retry_after=retry_after)
        self.plan = plan

    def as_json(self) -> dict:
        body = super().as_json()
        body["error"].update(retry_after=self.retry_after, upgrade_url=UPGRADE_URL)
        if self.plan:
            body["error"]["plan"] = self.plan
        return body

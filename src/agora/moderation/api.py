"""The reports API: POST /api/reports, what the Report buttons send (their form at /report posts the same)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from agora.inputs import Text
from agora.moderation import reports
from agora.web.deps import CurrentUser, Db
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["moderation"], route_class=JsonRoute)


class ReportIn(BaseModel):
    target: Literal["gpt", "review", "share"] = Field(description="What is reported: a GPT, a review, or a shared conversation")
    id: Text | int = Field(description="The GPT's id, the review's id, or the shared conversation's token")
    reason: Text = Field(description="One of OpenAI's moderation categories, or impersonation, spam, broken")
    note: Text = Field("", description="What the moderators should know (at most 1000 characters)")


class ReportOut(BaseModel):
    id: int
    target: str
    target_id: str
    reason: str
    hidden: bool = Field(description="Whether this report hid the GPT from the store until a moderator reviews it")


@router.post("/reports", status_code=201, response_model=ReportOut)
def file_report(body: ReportIn, user: CurrentUser, db: Db):
    """Report a GPT, a review or a shared conversation to the moderators. One open report per person and target;
    a person may send AGORA_MODERATION_REPORTS_PER_HOUR reports an hour (429 beyond)."""
    with db.session() as session:
        filed = reports.file(session, user, target=body.target, target_id=str(body.id), reason=body.reason, note=body.note)
        return ReportOut(id=filed.report.id, target=filed.report.target_type, target_id=filed.report.target_id, reason=filed.report.reason,
                         hidden=filed.hidden)

"""Retention rules and their application: expired conversations deleted for real, in batches, audited.

What a workspace's retention covers: the conversations held with its GPTs (gpts.workspace_id),
whoever held them. Deletion removes the messages and the conversation rows (a shared link
stops working with them); usage records stay, as they are what was consumed, not what was
said. Conversations carry no files today (uploads belong to GPTs, not chats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.chat.models import Conversation, Message
from agora.db import Database, begin_writing, rows_changed, utcnow
from agora.errors import InvalidInput
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.inputs import refuse_unstorable
from agora.retention.models import RetentionPolicy
from agora.workspaces import members

CHOICES = (30, 90, 365)  # days; None (forever) besides
BATCH = 500  # conversations deleted per transaction: locks stay short while a large backlog goes
MAX_REASON = 500


@dataclass(frozen=True)
class Rule:
    days: int | None
    legal_hold: bool
    hold_reason: str


def rule_of(session: Session, workspace_id: int) -> Rule:
    policy = session.get(RetentionPolicy, workspace_id)
    return Rule(policy.days, policy.legal_hold, policy.hold_reason) if policy else Rule(None, False, "")


def days_from_form(raw: str) -> int | None:
    """The form's choice: "30", "90", "365" or "forever" (None)."""
    if raw == "forever":
        return None
    if raw not in {str(choice) for choice in CHOICES}:
        raise InvalidInput(_("Keep conversations 30, 90 or 365 days, or forever."), field="days")
    return int(raw)


def set_rule(session: Session, *, workspace_id: int, by: User, days: int | None, legal_hold: bool, hold_reason: str = "") -> Rule:
    """A manager sets the team's retention and legal hold; every change is audited."""
    members.team(session, workspace_id, by, manage=True)
    if days is not None and days not in CHOICES:
        raise InvalidInput(_("Keep conversations 30, 90 or 365 days, or forever."), field="days")
    hold_reason = " ".join(refuse_unstorable(hold_reason, field="hold_reason").split())
    if len(hold_reason) > MAX_REASON:
        raise InvalidInput(_("The reason can be at most %(max)d characters.", max=MAX_REASON), field="hold_reason")
    before = rule_of(session, workspace_id)
    after = Rule(days, legal_hold, hold_reason if legal_hold else "")
    if after == before:
        return after
    policy = session.get(RetentionPolicy, workspace_id, with_for_update=True) or RetentionPolicy(workspace_id=workspace_id)
    policy.days, policy.legal_hold, policy.hold_reason = after.days, after.legal_hold, after.hold_reason
    policy.updated_by, policy.updated_at = by.id, utcnow()
    session.add(policy)
    audit.record(session, "retention.changed", actor=by, workspace_id=workspace_id, target_type="workspace", target_id=workspace_id,
                 details={"from": _shown(before), "to": _shown(after)})
    session.flush()
    return after


def _shown(rule: Rule) -> dict:
    return {"days": rule.days, "legal_hold": rule.legal_hold, **({"reason": rule.hold_reason} if rule.hold_reason else {})}


def run(database: Database, *, now: datetime) -> int:
    """Delete every conversation past its workspace's retention (none of a workspace on legal hold); how many."""
    with database.session() as session:
        rules = list(session.execute(select(RetentionPolicy.workspace_id, RetentionPolicy.days)
                                     .where(RetentionPolicy.days.is_not(None), RetentionPolicy.legal_hold.is_(False))))
    deleted = 0
    for workspace_id, days in rules:
        assert days is not None  # the query keeps only the policies that set a number of days
        while (batch := _delete_batch(database, workspace_id, days, now=now)) == BATCH:
            deleted += batch
        deleted += batch
    return deleted


def _delete_batch(database: Database, workspace_id: int, days: int, *, now: datetime) -> int:
    """One transaction: up to BATCH expired conversations of the workspace, locked, re-checked, deleted, audited."""
    with database.session() as session:
        begin_writing(session)  # SQLite: the writer from the first statement, so what is read stays true
        policy = session.get(RetentionPolicy, workspace_id, with_for_update=True)  # a hold set meanwhile wins
        if policy is None or policy.legal_hold or policy.days != days:
            return 0
        cutoff = now - timedelta(days=days)
        expired = (select(Conversation.id).join(Gpt, Gpt.id == Conversation.gpt_id)
                   .where(Gpt.workspace_id == workspace_id, Conversation.updated_at < cutoff).order_by(Conversation.id).limit(BATCH))
        if session.get_bind().dialect.name == "postgresql":
            # A conversation a reply is being written to is locked by it (chat.service.owned): skip it, its new activity keeps it.
            expired = expired.with_for_update(of=Conversation, skip_locked=True)
        ids = list(session.scalars(expired))
        if not ids:
            return 0
        messages = rows_changed(session.execute(delete(Message).where(Message.conversation_id.in_(ids))))
        session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        audit.record(session, "retention.deleted", actor_label="retention", workspace_id=workspace_id, target_type="workspace",
                     target_id=workspace_id, details={"conversations": len(ids), "messages": messages, "days": days,
                                                      "older_than": cutoff.isoformat(timespec="seconds")})
        return len(ids)

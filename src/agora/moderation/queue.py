"""What moderators read: the queue (pending cases with their checks, the diff against the last listed version, the
age against the SLA), appeals waiting, open reports, the moderation audit trail; and what a builder reads of theirs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit.models import AuditEntry
from agora.db import utcnow
from agora.gpts import history
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from agora.moderation.models import Moderator, Report, ReviewCase
from agora.moderation.review import appealable, settings_of

AUDIT_PREFIX = "moderation."


@dataclass(frozen=True)
class QueuedCase:
    case: ReviewCase
    gpt: Gpt
    builder: User
    waited_hours: float
    overdue: bool
    listed_version: int | None  # the last version the store listed, compared with the one under review
    changes: list[history.Change]
    reports: list[Report]


def _listed_version(session: Session, case: ReviewCase) -> int | None:
    return session.scalar(select(ReviewCase.version).where(ReviewCase.gpt_id == case.gpt_id, ReviewCase.id < case.id,
                                                           ReviewCase.state.in_(("listed", "delisted")), ReviewCase.kind == "submission")
                          .order_by(ReviewCase.id.desc()).limit(1))


def _changes(session: Session, gpt: Gpt, before: int | None, after: int) -> list[history.Change]:
    if before is None or before == after:
        return []
    old = GptContent.model_validate(history.version(session, gpt, before).content)
    new = GptContent.model_validate(history.version(session, gpt, after).content)
    return history.diff(old, new)


def _queued(session: Session, case: ReviewCase, since: datetime, *, sla_hours: int) -> QueuedCase:
    gpt = session.get_one(Gpt, case.gpt_id)
    waited = (utcnow() - since).total_seconds() / 3600
    before = _listed_version(session, case)
    reports = list(session.scalars(select(Report).where(Report.gpt_id == case.gpt_id, Report.resolved_at.is_(None)).order_by(Report.id)))
    return QueuedCase(case, gpt, session.get_one(User, gpt.owner_id), round(waited, 1), waited > sla_hours, before,
                      _changes(session, gpt, before, case.version), reports)


def pending(session: Session) -> list[QueuedCase]:
    """Cases waiting for a decision, oldest first."""
    sla = settings_of(session).moderation_sla_hours
    cases = session.scalars(select(ReviewCase).where(ReviewCase.state == "pending").order_by(ReviewCase.opened_at, ReviewCase.id))
    return [_queued(session, case, case.opened_at, sla_hours=sla) for case in cases]


def appeals(session: Session) -> list[QueuedCase]:
    sla = settings_of(session).moderation_sla_hours
    cases = session.scalars(select(ReviewCase).where(ReviewCase.appealed_at.is_not(None), ReviewCase.appeal_outcome.is_(None))
                            .order_by(ReviewCase.appealed_at, ReviewCase.id))
    return [_queued(session, case, case.appealed_at or case.opened_at, sla_hours=sla) for case in cases]


def moderators(session: Session) -> list[User]:
    return list(session.scalars(select(User).join(Moderator, Moderator.user_id == User.id).order_by(User.email)))


@dataclass(frozen=True)
class BuilderCase:
    case: ReviewCase
    gpt_name: str
    appealable: bool


def of_builder(session: Session, builder: User) -> list[BuilderCase]:
    """A builder's GPTs' cases that are not plain automatic listings: waiting, decided by a person, appealed."""
    rows = session.execute(select(ReviewCase, Gpt.name).join(Gpt, Gpt.id == ReviewCase.gpt_id)
                           .where(Gpt.owner_id == builder.id, Gpt.deleted_at.is_(None), ReviewCase.state != "superseded",
                                  (ReviewCase.decided_by.is_not(None)) | (ReviewCase.state == "pending"))
                           .order_by(ReviewCase.id.desc()).limit(200))
    return [BuilderCase(case, name, appealable(case)) for case, name in rows]


def audit_entries(session: Session, *, limit: int | None = 200) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.action.startswith(AUDIT_PREFIX)).order_by(AuditEntry.seq.desc())
    return list(session.scalars(statement.limit(limit) if limit else statement))


CSV_COLUMNS = ("seq", "at", "actor", "action", "target_type", "target_id", "details")


def audit_csv(session: Session) -> Iterator[str]:
    """Every moderation step in the audit log, oldest first, as CSV (who, when, what, why)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    statement = select(AuditEntry).where(AuditEntry.action.startswith(AUDIT_PREFIX)).order_by(AuditEntry.seq)
    for entry in session.scalars(statement.execution_options(yield_per=500)):
        writer.writerow([entry.seq, entry.at.isoformat(), entry.actor, entry.action, entry.target_type, entry.target_id,
                         json.dumps(entry.details, ensure_ascii=False, sort_keys=True)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()

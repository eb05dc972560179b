"""Reports by users on a GPT, a review or a shared conversation; enough distinct reporters hide a GPT until reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.chat.models import Conversation
from agora.db import utcnow
from agora.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from agora.gpts import access
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.inputs import refuse_unstorable
from agora.moderation import review
from agora.moderation.categories import REPORT_REASONS, TARGETS
from agora.moderation.models import Report
from agora.store.models import Review

MAX_NOTE = 1000
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Filed:
    report: Report
    hidden: bool  # this report hid the GPT from the store until a moderator reviews it


def _target_gpt(session: Session, reporter: User, target: str, target_id: str) -> Gpt:
    """The GPT a report concerns, for a target the reporter can see (NotFound otherwise: nothing is revealed)."""
    if target == "gpt":
        gpt = access.find(session, target_id, reporter)
        if gpt.owner_id == reporter.id:
            raise InvalidInput(_("You cannot report your own GPT."), field="id")
        return gpt
    if target == "review":
        found = session.get(Review, int(target_id)) if target_id.isdigit() and len(target_id) < 12 else None
        if found is None:
            raise NotFound(_("There is no review %(id)s.", id=target_id))
        return access.find(session, found.gpt_id, reporter)
    shared = session.scalar(select(Conversation).where(Conversation.share_token == target_id))
    if shared is None:
        raise NotFound(_("There is no shared conversation %(id)s.", id=target_id))
    return session.get_one(Gpt, shared.gpt_id)


def file(session: Session, reporter: User, *, target: str, target_id: str, reason: str, note: str = "") -> Filed:
    settings = review.settings_of(session)
    if target not in TARGETS:
        raise InvalidInput(_("Unknown target %(value)s: use one of %(allowed)s.", value=repr(target), allowed=", ".join(TARGETS)), field="target")
    if reason not in REPORT_REASONS:
        raise InvalidInput(_("Unknown reason %(value)s: use one of %(allowed)s.", value=repr(reason), allowed=", ".join(REPORT_REASONS)),
                           field="reason")
    target_id, note = target_id.strip(), note.strip()
    if not target_id or len(target_id) > 64:
        raise InvalidInput(_("Give the id of what you report (at most 64 characters)."), field="id")
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("The note is too long: at most %(max)d characters.", max=MAX_NOTE), field="note")
    refuse_unstorable(note, field="note")
    gpt = _target_gpt(session, reporter, target, target_id)
    since = utcnow() - WINDOW
    recent = session.scalars(select(Report.created_at).where(Report.reporter_id == reporter.id, Report.created_at > since)
                             .order_by(Report.created_at)).all()
    if len(recent) >= settings.moderation_reports_per_hour:
        wait = int((recent[0] + WINDOW - utcnow()).total_seconds()) + 1
        raise TooManyRequests(_("You sent %(n)d reports in the last hour, the most allowed: try again in %(minutes)d minutes.",
                                n=len(recent), minutes=max(1, wait // 60)), retry_after=max(1, wait))
    report = Report(reporter_id=reporter.id, target_type=target, target_id=target_id, gpt_id=gpt.id, reason=reason, note=note,
                    created_at=utcnow())
    try:
        with session.begin_nested():  # two submits at once: the unique index refuses the second
            session.add(report)
            session.flush()
    except IntegrityError:
        raise Conflict(_("You already reported this; a moderator will look at it."), field="id") from None
    audit.record(session, "moderation.reported", actor=reporter, workspace_id=gpt.workspace_id, target_type=target, target_id=target_id,
                 details={"gpt": gpt.id, "reason": reason, "report": report.id})
    hidden = False
    if target == "gpt" and gpt.review_state == "listed":
        reporters = session.scalar(select(func.count(func.distinct(Report.reporter_id))).where(
            Report.gpt_id == gpt.id, Report.target_type == "gpt", Report.resolved_at.is_(None))) or 0
        if reporters >= settings.moderation_reports_to_hide:
            review.hide_for_reports(session, gpt, reporters)
            hidden = True
    return Filed(report, hidden)


def open_reports(session: Session) -> list[tuple[Report, str]]:
    """Reports no decision resolved yet, with the reported GPT's name, oldest first."""
    rows = session.execute(select(Report, Gpt.name).join(Gpt, Gpt.id == Report.gpt_id).where(Report.resolved_at.is_(None))
                           .order_by(Report.created_at, Report.id))
    return [(report, name) for report, name in rows]


def dismiss(session: Session, moderator: User, report_id: int) -> None:
    """A moderator looked at a report and found nothing to act on."""
    review.require_moderator(session, moderator)
    report = session.get(Report, report_id)
    if report is None or report.resolved_at is not None:
        raise NotFound(_("There is no open report %(id)s.", id=report_id))
    session.execute(update(Report).where(Report.id == report_id).values(resolved_at=utcnow()))
    audit.record(session, "moderation.report_dismissed", actor=moderator, target_type=report.target_type, target_id=report.target_id,
                 details={"report": report.id, "gpt": report.gpt_id, "reason": report.reason})

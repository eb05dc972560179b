"""Review states of a GPT in the store: draft -> pending -> listed / rejected -> delisted, and the decisions that move them.

A GPT published while shared with everyone (or made public once published) is submitted (events.StoreSubmitted,
heard here in the builder's transaction): the automated checks run, then it is listed at once or waits for a
moderator, by the operator's mode (AGORA_MODERATION_REVIEW). A flagged GPT always waits, and so does a GPT a
person rejected or delisted before. Link and workspace sharing never wait: only the store listing does.
Every step is recorded in the audit log (action `moderation.*`, target the GPT).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.config import Settings, get_settings
from agora.db import utcnow
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound
from agora.gpts import review as gpts_review
from agora.gpts import service as gpts_service
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt, GptVersion
from agora.i18n import gettext as _
from agora.inputs import refuse_unstorable
from agora.moderation import checks, clones
from agora.moderation.categories import CATEGORIES, REASON_CODES, SEVERE, reason_text
from agora.moderation.models import Moderator, Report, ReviewCase
from agora.store.models import BuilderDomain

ESTABLISHED_LISTED_GPTS = 3  # a builder with fewer listed GPTs (or no verified domain) is new: their GPTs wait in `new_builders` mode
MAX_NOTE = 2000
DECIDED = ("rejected", "delisted")


def settings_of(session: Session) -> Settings:
    """The app's settings (the app hands them to every session, agora.db.Database), else the environment's."""
    return session.info.get("settings") or get_settings()


def is_moderator(session: Session, user: User | None) -> bool:
    return user is not None and (user.is_admin or session.get(Moderator, user.id) is not None)


def require_moderator(session: Session, user: User) -> None:
    if not is_moderator(session, user):
        raise Forbidden(_("This page is for moderators: an administrator can make you one."))


def latest_case(session: Session, gpt_id: str) -> ReviewCase | None:
    return session.scalar(select(ReviewCase).where(ReviewCase.gpt_id == gpt_id).order_by(ReviewCase.id.desc()).limit(1))


def is_new_builder(session: Session, builder_id: int) -> bool:
    listed = session.scalar(select(func.count()).select_from(Gpt).where(Gpt.owner_id == builder_id, Gpt.review_state == "listed",
                                                                        Gpt.deleted_at.is_(None)))
    verified = session.scalar(select(func.count()).select_from(BuilderDomain).where(BuilderDomain.user_id == builder_id,
                                                                                   BuilderDomain.verified_at.is_not(None)))
    return (listed or 0) < ESTABLISHED_LISTED_GPTS or not verified


def _content(session: Session, gpt: Gpt, version: int) -> GptContent:
    raw = session.scalar(select(GptVersion.content).where(GptVersion.gpt_id == gpt.id, GptVersion.number == version))
    return GptContent.model_validate(raw)


def _record(session: Session, action: str, gpt: Gpt, actor: User | None, **details: Any) -> None:
    audit.record(session, f"moderation.{action}", actor=actor, actor_label="" if actor else "system", workspace_id=gpt.workspace_id,
                 target_type="gpt", target_id=gpt.id, details={"name": gpt.name, **details})


def submit(session: Session, gpt: Gpt, version: int) -> ReviewCase:
    """Run the checks on `version` and list it or queue it for a person (see the module docstring)."""
    settings = settings_of(session)
    previous = latest_case(session, gpt.id)
    if previous is not None and previous.version == version and previous.state in ("pending", "listed") and previous.kind == "submission":
        # Made public again without a new version: nothing new to check or decide.
        gpts_service.set_review_state(session, gpt, previous.state)
        return previous
    content = _content(session, gpt, version)
    results = checks.run(session, settings, gpt, content)
    flagged = [c["kind"] for c in results if c["result"] == "flag"]
    session.execute(update(ReviewCase).where(ReviewCase.gpt_id == gpt.id, ReviewCase.state == "pending").values(state="superseded"))
    decided_by_person = previous is not None and previous.decided_by is not None and (
        previous.state in DECIDED or previous.delist_at is not None)
    mode = settings.moderation_review
    waits = bool(flagged) or decided_by_person or mode == "everyone" or (mode == "new_builders" and is_new_builder(session, gpt.owner_id))
    case = ReviewCase(gpt_id=gpt.id, builder_id=gpt.owner_id, version=version, kind="submission",
                      state="pending" if waits else "listed", checks=results, opened_at=utcnow(),
                      decided_at=None if waits else utcnow())
    session.add(case)
    session.flush()
    _record(session, "submitted", gpt, None, case=case.id, version=version, flagged=flagged, state=case.state, mode=mode)
    gpts_service.set_review_state(session, gpt, case.state)
    if case.state == "listed":
        clones.remember(session, gpt, content.instructions)
    return case


def _submitted(event: events.StoreSubmitted) -> None:
    gpt = event.session.get_one(Gpt, event.gpt_id)
    submit(event.session, gpt, event.version)


def list_seeded(session: Session, gpt: Gpt) -> None:
    """The demo catalogue the operator seeds (agora seed-demo) is listed by that decision, whatever its checks said."""
    case = latest_case(session, gpt.id)
    if case is not None and case.state == "pending":
        case.state, case.decided_at, case.reason = "listed", utcnow(), "seeded by the operator (agora seed-demo)"
        _record(session, "approved", gpt, None, case=case.id, version=case.version, seeded=True)
        gpts_service.set_review_state(session, gpt, "listed")
        clones.remember(session, gpt, _content(session, gpt, case.version).instructions)


@dataclass(frozen=True)
class Notice:
    """What a builder is told of a decision, by email (the page shows the case itself)."""

    to: str
    subject: str
    text: str


def _notice(session: Session, gpt: Gpt, subject: str, text: str) -> Notice:
    builder = session.get_one(User, gpt.owner_id)
    return Notice(builder.email, subject, text)


def _case(session: Session, case_id: int, *, for_update: bool = True) -> tuple[ReviewCase, Gpt]:
    statement = select(ReviewCase).where(ReviewCase.id == case_id)
    case = session.scalar(statement.with_for_update() if for_update else statement)
    if case is None:
        raise NotFound(_("There is no review case %(id)s.", id=case_id))
    return case, session.get_one(Gpt, case.gpt_id)


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("The note is too long: at most %(max)d characters.", max=MAX_NOTE), field="note")
    refuse_unstorable(note, field="note")
    return note


def _reason(reason_code: str, category: str, note: str) -> tuple[str, str]:
    if reason_code not in REASON_CODES:
        raise InvalidInput(_("Choose a reason: one of %(codes)s.", codes=", ".join(REASON_CODES)), field="reason_code")
    if category and category not in CATEGORIES:
        raise InvalidInput(_("Unknown category %(value)s.", value=repr(category)), field="category")
    if reason_code == "other" and not note:
        raise InvalidInput(_("Say why in the note: the builder reads it."), field="note")
    code = f"{reason_code}:{category}" if category else reason_code
    text = reason_text(reason_code, note)
    return code, f"{text} ({category})" if category else text


def _resolve_reports(session: Session, gpt_id: str) -> None:
    session.execute(update(Report).where(Report.gpt_id == gpt_id, Report.target_type == "gpt", Report.resolved_at.is_(None))
                    .values(resolved_at=utcnow()))


def _list(session: Session, case: ReviewCase, gpt: Gpt) -> None:
    case.state, case.delist_at = "listed", None
    gpts_service.set_review_state(session, gpt, "listed")
    _resolve_reports(session, gpt.id)
    clones.remember(session, gpt, _content(session, gpt, case.version).instructions)


def approve(session: Session, moderator: User, case_id: int, *, note: str = "") -> Notice:
    require_moderator(session, moderator)
    case, gpt = _case(session, case_id)
    if case.state != "pending":
        raise Conflict(_("This case is no longer waiting for a decision (it is %(state)s).", state=case.state))
    note = _clean_note(note)
    case.decided_at, case.decided_by, case.reason_code, case.reason = utcnow(), moderator.id, "approved", note
    _list(session, case, gpt)
    _record(session, "approved", gpt, moderator, case=case.id, version=case.version, note=note)
    return _notice(session, gpt, _("“%(name)s” is listed in the store", name=gpt.name),
                   _("A moderator reviewed “%(name)s”: it is listed in the store.", name=gpt.name))


def reject(session: Session, moderator: User, case_id: int, *, reason_code: str, category: str = "", note: str = "") -> Notice:
    """Refuse a pending submission (a GPT never listed, or a new version): it stays out of the store; the builder may appeal."""
    require_moderator(session, moderator)
    case, gpt = _case(session, case_id)
    if case.state != "pending":
        raise Conflict(_("This case is no longer waiting for a decision (it is %(state)s).", state=case.state))
    if case.kind == "reports":
        return delist(session, moderator, case_id, reason_code=reason_code, category=category, note=note)
    code, reason = _reason(reason_code, category, _clean_note(note))
    case.state, case.decided_at, case.decided_by, case.reason_code, case.reason = "rejected", utcnow(), moderator.id, code, reason
    gpts_service.set_review_state(session, gpt, "rejected")
    _record(session, "rejected", gpt, moderator, case=case.id, version=case.version, reason=code, why=reason)
    return _notice(session, gpt, _("“%(name)s” was not listed in the store", name=gpt.name),
                   _("A moderator did not list “%(name)s”: %(reason)s\nYou can appeal once from your store reviews page.",
                     name=gpt.name, reason=reason))


def delist(session: Session, moderator: User, case_id: int, *, reason_code: str, category: str = "", note: str = "") -> Notice:
    """Take a listed GPT (or one reports hid) out of the store: after the notice period, or at once for a severe category."""
    require_moderator(session, moderator)
    case, gpt = _case(session, case_id)
    settings = settings_of(session)
    if case.state not in ("listed", "pending") or (case.state == "pending" and case.kind != "reports"):
        raise Conflict(_("Only a listed GPT, or one reports hid, can be delisted; reject a pending submission instead."))
    code, reason = _reason(reason_code, category, _clean_note(note))
    now = utcnow()
    case.decided_at, case.decided_by, case.reason_code, case.reason = now, moderator.id, code, reason
    _resolve_reports(session, gpt.id)
    if category in SEVERE or settings.moderation_notice_hours == 0:
        case.state, case.delist_at = "delisted", None
        gpts_service.set_review_state(session, gpt, "delisted")
        _record(session, "delisted", gpt, moderator, case=case.id, reason=code, why=reason, notice_hours=0)
        return _notice(session, gpt, _("“%(name)s” was removed from the store", name=gpt.name),
                       _("A moderator removed “%(name)s” from the store: %(reason)s\nYou can appeal once from your store reviews page.",
                         name=gpt.name, reason=reason))
    # Notice first: the GPT stays listed (a GPT reports hid is shown again: a person has reviewed it) until delist_at.
    case.state, case.delist_at = "listed", now + timedelta(hours=settings.moderation_notice_hours)
    gpts_service.set_review_state(session, gpt, "listed")
    _record(session, "delisting_announced", gpt, moderator, case=case.id, reason=code, why=reason, delist_at=case.delist_at.isoformat())
    return _notice(session, gpt, _("“%(name)s” will be removed from the store", name=gpt.name),
                   _("A moderator will remove “%(name)s” from the store on %(when)s UTC: %(reason)s\n"
                     "You can appeal once from your store reviews page before or after then.",
                     name=gpt.name, reason=reason, when=case.delist_at.strftime("%Y-%m-%d %H:%M")))


def apply_due(session: Session, *, now: datetime) -> int:
    """Carry out the delistings whose notice period has passed (run by the hourly housekeeping); how many."""
    due = session.scalars(select(ReviewCase).where(ReviewCase.state == "listed", ReviewCase.delist_at <= now).with_for_update()).all()
    for case in due:
        gpt = session.get_one(Gpt, case.gpt_id)
        case.state = "delisted"
        gpts_service.set_review_state(session, gpt, "delisted")
        _record(session, "delisted", gpt, None, case=case.id, reason=case.reason_code, why=case.reason, announced=True)
    return len(due)


def appealable(case: ReviewCase) -> bool:
    return case.decided_by is not None and case.appealed_at is None and (case.state in DECIDED or case.delist_at is not None)


def appeal(session: Session, builder: User, case_id: int, *, text: str) -> ReviewCase:
    """The builder's one appeal of a rejection or delisting: it goes back to the moderators' queue."""
    case, gpt = _case(session, case_id)
    if gpt.owner_id != builder.id:
        raise NotFound(_("There is no review case %(id)s.", id=case_id))
    if case.appealed_at is not None:
        raise Conflict(_("You already appealed this decision: each decision can be appealed once."))
    if not appealable(case):
        raise Conflict(_("There is no decision to appeal in this case."))
    text = text.strip()
    if not text:
        raise InvalidInput(_("Say why the decision should change."), field="appeal")
    if len(text) > MAX_NOTE:
        raise InvalidInput(_("The appeal is too long: at most %(max)d characters.", max=MAX_NOTE), field="appeal")
    refuse_unstorable(text, field="appeal")
    case.appeal, case.appealed_at = text, utcnow()
    _record(session, "appealed", gpt, builder, case=case.id, appeal=text)
    return case


def decide_appeal(session: Session, moderator: User, case_id: int, *, reverse: bool, note: str = "") -> Notice:
    require_moderator(session, moderator)
    case, gpt = _case(session, case_id)
    if case.appealed_at is None or case.appeal_outcome is not None:
        raise Conflict(_("This case has no appeal waiting for a decision."))
    note = _clean_note(note)
    case.appeal_outcome, case.appeal_decided_at = ("reversed" if reverse else "upheld"), utcnow()
    if reverse:
        case.decided_by = moderator.id
        _list(session, case, gpt)
        _record(session, "appeal_reversed", gpt, moderator, case=case.id, note=note)
        return _notice(session, gpt, _("Your appeal for “%(name)s” was accepted", name=gpt.name),
                       _("A moderator reversed the decision: “%(name)s” is listed in the store. %(note)s", name=gpt.name, note=note).strip())
    _record(session, "appeal_upheld", gpt, moderator, case=case.id, note=note)
    return _notice(session, gpt, _("Your appeal for “%(name)s” was declined", name=gpt.name),
                   _("A moderator kept the decision on “%(name)s”. %(note)s", name=gpt.name, note=note).strip())


def hide_for_reports(session: Session, gpt: Gpt, reporters: int) -> ReviewCase:
    """Enough people reported a listed GPT: out of the store until a moderator reviews it."""
    case = ReviewCase(gpt_id=gpt.id, builder_id=gpt.owner_id, version=gpt.published_version or 0, kind="reports", state="pending",
                      checks=[], opened_at=utcnow())
    session.add(case)
    session.flush()
    gpts_service.set_review_state(session, gpt, "pending")
    _record(session, "hidden_by_reports", gpt, None, case=case.id, reporters=reporters)
    return case


def review_of(session: Session, gpt: Gpt) -> dict[str, Any]:
    """The `review` of GET /api/gpts/{id} (for its editors)."""
    case = latest_case(session, gpt.id)
    if case is None:
        return {"state": gpt.review_state, "checks": [], "reason": None}
    shown = case
    if case.kind == "reports":  # the checks are the last submission's
        shown = session.scalar(select(ReviewCase).where(ReviewCase.gpt_id == gpt.id, ReviewCase.kind == "submission")
                               .order_by(ReviewCase.id.desc()).limit(1)) or case
    return {"state": gpt.review_state, "checks": shown.checks, "reason": case.reason or None, "delist_at": case.delist_at,
            "appealable": appealable(case)}


events.subscribe(events.StoreSubmitted, _submitted)
gpts_review.give_reader(review_of)


def case_for_listed(session: Session, moderator: User, gpt_id: str) -> ReviewCase:
    """The case a moderator acts on to delist a listed GPT: its last listing, or one opened for a GPT listed before
    reviews existed (the migration listed every published public GPT)."""
    require_moderator(session, moderator)
    gpt = session.get(Gpt, gpt_id.strip().rsplit("/", 1)[-1])  # a pasted /g/... link works too
    if gpt is None or gpt.deleted_at is not None or gpt.review_state != "listed":
        raise NotFound(_("There is no listed GPT %(id)s.", id=gpt_id), field="gpt_id")
    case = latest_case(session, gpt.id)
    if case is None or case.state != "listed":
        case = ReviewCase(gpt_id=gpt.id, builder_id=gpt.owner_id, version=gpt.published_version or 0, kind="submission",
                          state="listed", checks=[], opened_at=utcnow(), decided_at=utcnow())
        session.add(case)
        session.flush()
    return case

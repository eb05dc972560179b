"""Moderation pages: the review queue and its decisions, the audit trail and its export, moderators (granted by
administrators), a builder's store reviews with the appeal form, and the report form behind every Report button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.errors import AgoraError, Forbidden, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.moderation import messages, notify, queue, reports, review
from agora.moderation.categories import CATEGORIES, REPORT_REASONS, SEVERE, TARGETS, label, reason_templates
from agora.moderation.models import Moderator
from agora.web.deps import AppSettings, CurrentUser, Db, public_link
from agora.web.templating import render

router = APIRouter()


def _queue_page(request: Request, db, status: int = 200, **context) -> Response:
    with db.session() as session:
        return render(request, "moderation/queue.html", status, pending=review_list(session), appeals=queue.appeals(session),
                      reports=reports.open_reports(session), flags=messages.open_flags(session),
                      categories=CATEGORIES, severe=SEVERE, reasons=reason_templates(),
                      label=label, sla_hours=review.settings_of(session).moderation_sla_hours, **context)


def review_list(session):
    return queue.pending(session)


@router.get("/moderation")
def queue_page(request: Request, db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        review.require_moderator(session, user)
    return _queue_page(request, db)


@router.post("/moderation/cases/{case_id}")
def decide(request: Request, case_id: Id, db: Db, user: CurrentUser, settings: AppSettings,
           action: Annotated[Text, Form()] = "", reason_code: Annotated[Text, Form()] = "",
           category: Annotated[Text, Form()] = "", note: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            if action == "approve":
                notice = review.approve(session, user, case_id, note=note)
            elif action == "reject":
                notice = review.reject(session, user, case_id, reason_code=reason_code, category=category, note=note)
            elif action == "delist":
                notice = review.delist(session, user, case_id, reason_code=reason_code, category=category, note=note)
            elif action in ("reverse", "uphold"):
                notice = review.decide_appeal(session, user, case_id, reverse=action == "reverse", note=note)
            else:
                raise InvalidInput(_("Unknown action %(value)s.", value=repr(action)), field="action")
    except AgoraError as error:
        if isinstance(error, Forbidden):
            raise
        return _queue_page(request, db, error.status, errors={f"case-{case_id}": error.message})
    notify.send(settings, notice, page=public_link(request, "store_reviews"))
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/delist")
def delist_listed(request: Request, db: Db, user: CurrentUser, settings: AppSettings, gpt_id: Annotated[Text, Form()] = "",
                  reason_code: Annotated[Text, Form()] = "", category: Annotated[Text, Form()] = "",
                  note: Annotated[Text, Form()] = "") -> Response:
    """Delist a GPT the queue does not hold (found by its id or link)."""
    try:
        with db.session() as session:
            case = review.case_for_listed(session, user, gpt_id)
            notice = review.delist(session, user, case.id, reason_code=reason_code, category=category, note=note)
    except AgoraError as error:
        if isinstance(error, Forbidden):
            raise
        return _queue_page(request, db, error.status, errors={"delist": error.message}, values={"gpt_id": gpt_id})
    notify.send(settings, notice, page=public_link(request, "store_reviews"))
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/reports/{report_id}/dismiss")
def dismiss_report(report_id: Id, db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        reports.dismiss(session, user, report_id)
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/messages/{flag_id}/reviewed")
def flag_reviewed(flag_id: Id, db: Db, user: CurrentUser) -> Response:
    """A moderator read a flagged exchange: its texts are erased (agora.moderation.messages.mark_reviewed)."""
    with db.session() as session:
        messages.mark_reviewed(session, user, flag_id)
    return RedirectResponse("/moderation", status_code=303)


@router.get("/moderation/audit")
def audit_page(request: Request, db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        review.require_moderator(session, user)
        entries = queue.audit_entries(session)
    return render(request, "moderation/audit.html", entries=entries)


@router.get("/moderation/audit.csv")
def audit_export(db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        review.require_moderator(session, user)

    def rows():
        with db.session() as session:
            yield from queue.audit_csv(session)

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="moderation-audit.csv"'})


def _admin_only(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


@router.get("/admin/moderators")
def moderators_page(request: Request, db: Db, user: CurrentUser) -> Response:
    _admin_only(user)
    with db.session() as session:
        return render(request, "moderation/moderators.html", moderators=queue.moderators(session))


@router.post("/admin/moderators")
def change_moderators(request: Request, db: Db, user: CurrentUser, email: Annotated[Text, Form()] = "",
                      action: Annotated[Text, Form()] = "grant") -> Response:
    _admin_only(user)
    try:
        with db.session() as session:
            person = session.scalar(select(User).where(User.email == email.strip().lower()))
            if person is None:
                raise NotFound(_("No one has the email %(email)s here.", email=email.strip()), field="email")
            granted = session.get(Moderator, person.id)
            if action == "revoke" and granted is not None:
                session.delete(granted)
                audit.record(session, "moderation.moderator_revoked", actor=user, target_type="user", target_id=person.id, details={"email": person.email})
            elif action == "grant" and granted is None:
                session.add(Moderator(user_id=person.id, granted_by=user.id))
                audit.record(session, "moderation.moderator_granted", actor=user, target_type="user", target_id=person.id, details={"email": person.email})
    except AgoraError as error:
        with db.session() as session:
            return render(request, "moderation/moderators.html", error.status, moderators=queue.moderators(session),
                          errors={"email": error.message}, values={"email": email})
    return RedirectResponse("/admin/moderators", status_code=303)


@router.get("/me/reviews", name="store_reviews")
def my_reviews(request: Request, db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        return render(request, "moderation/notices.html", cases=queue.of_builder(session, user))


@router.post("/me/reviews/{case_id}/appeal")
def appeal(request: Request, case_id: Id, db: Db, user: CurrentUser, appeal: Annotated[Text, Form()] = "") -> Response:
    try:
        with db.session() as session:
            review.appeal(session, user, case_id, text=appeal)
    except AgoraError as error:
        if error.status == 404:
            raise
        with db.session() as session:
            return render(request, "moderation/notices.html", error.status, cases=queue.of_builder(session, user),
                          errors={f"case-{case_id}": error.message}, values={f"case-{case_id}": appeal})
    return RedirectResponse("/me/reviews", status_code=303)


def _report_form(request: Request, status: int = 200, **context) -> Response:
    return render(request, "moderation/report.html", status, reasons=REPORT_REASONS, label=label, **context)


@router.get("/report")
def report_form(request: Request, user: CurrentUser, target: Text = "gpt", id: Text = "") -> Response:
    if target not in TARGETS:
        target = "gpt"
    return _report_form(request, values={"target": target, "id": id})


@router.post("/report")
def send_report(request: Request, db: Db, user: CurrentUser, target: Annotated[Text, Form()] = "", id: Annotated[Text, Form()] = "",
                reason: Annotated[Text, Form()] = "", note: Annotated[Text, Form()] = "") -> Response:
    values = {"target": target, "id": id, "reason": reason, "note": note}
    try:
        with db.session() as session:
            reports.file(session, user, target=target, target_id=id, reason=reason, note=note)
    except AgoraError as error:
        return _report_form(request, error.status, values=values, errors={error.field or "reason": error.message})
    return _report_form(request, values={}, sent=True)

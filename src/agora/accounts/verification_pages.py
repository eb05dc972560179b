"""Email verification pages: follow the emailed link, see that a link is on its way, ask for another one."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from agora import mail
from agora.accounts import verification
from agora.accounts.models import User
from agora.accounts.recovery_pages import PER_ADDRESS, PER_EMAIL, mail_limiter
from agora.config import Settings
from agora.db import begin_writing
from agora.errors import AgoraError
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.web.deps import Viewer, client_ip, public_link, safe_next
from agora.web.templating import render

router = APIRouter()
log = logging.getLogger("agora.accounts")


def send_link(settings: Settings, secret_key: str, user: User, link: str) -> str | None:
    """Email `user` a confirmation link; returns why the mail did not go, else None. Blocking: call it from a thread."""
    url = link + "?token=" + verification.token_for(secret_key, user)
    text = _(
        "Welcome to Agora, %(name)s.\n\n"
        "Confirm that %(email)s is your address with this link (it works for %(hours)d hours):\n%(url)s\n\n"
        "If you did not sign up, ignore this email: nothing happens without the link.",
        name=user.display_name, email=user.email, hours=verification.VERIFY_HOURS, url=url,
    )
    try:
        mail.send(settings, to=user.email, subject=_("Confirm your email address for Agora"), text=text)
    except mail.MailNotSent as refused:
        log.warning("confirmation link for user %s not sent: %s", user.id, refused.reason)
        return _("The email could not be sent: %(reason)s.", reason=refused.reason)
    return None


def after_signup(request: Request, user: User) -> BackgroundTask | None:
    """The confirmation mail of a new account, sent once the sign-up's answer has gone (the person does not wait on
    the mail server); None when this Agora sends no email or the account needs no link."""
    settings = request.app.state.settings
    if not mail.configured(settings) or not verification.needs_link(user):
        return None
    return BackgroundTask(send_link, settings, request.app.state.secret_key, user, public_link(request, "verify_email"))


@router.get("/email/verify", name="verify_email")
def follow_link(request: Request, viewer: Viewer, token: Text = "") -> Response:
    try:
        with request.app.state.database.session() as session:
            begin_writing(session)  # read the account, then write it: as SQLite's writer from the start
            user = verification.verify(session, request.app.state.secret_key, token, ip=client_ip(request))
    except AgoraError as error:
        return render(request, "accounts/verify_email.html", error.status, failed=error.message, email=viewer.email if viewer else "",
                      resend=verification.needs_link(viewer), next="/")
    return render(request, "accounts/verify_email.html", verified=user.email, signed_in=viewer is not None and viewer.id == user.id)


@router.get("/email/unverified")
def waiting_page(request: Request, viewer: Viewer, next: Text = "/") -> Response:
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    if not verification.needs_link(viewer):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "accounts/verify_email.html", email=viewer.email, resend=True, next=safe_next(next), hours=verification.VERIFY_HOURS,
                  required=request.app.state.settings.require_email_verification, mail_ready=mail.configured(request.app.state.settings))


@router.post("/email/verify/resend")
async def resend(request: Request, viewer: Viewer, next: Annotated[Text, Form()] = "/") -> Response:
    if viewer is None:
        return RedirectResponse("/login", status_code=303)
    if not verification.needs_link(viewer):
        return RedirectResponse(safe_next(next), status_code=303)
    settings = request.app.state.settings
    page = {"email": viewer.email, "resend": True, "next": safe_next(next), "required": settings.require_email_verification,
            "mail_ready": mail.configured(settings), "hours": verification.VERIFY_HOURS}
    if not mail.configured(settings):
        return render(request, "accounts/verify_email.html", 503, **page)
    limiter = mail_limiter(request)
    for bucket, limits in ((f"email-verify:user:{viewer.id}", PER_EMAIL), (f"email-verify:ip:{client_ip(request)}", PER_ADDRESS)):
        decision = await limiter.acquire(bucket, limits, 0)
        if not decision.allowed:
            message = _("A link was sent moments ago. Check your inbox (and spam folder), or try again in a minute.")
            response = render(request, "accounts/verify_email.html", 429, error=message, **page)
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
            return response
    failure = await run_in_threadpool(send_link, settings, request.app.state.secret_key, viewer, public_link(request, "verify_email"))
    if failure:
        return render(request, "accounts/verify_email.html", 502, error=failure, **page)
    return render(request, "accounts/verify_email.html", sent=True, **page)

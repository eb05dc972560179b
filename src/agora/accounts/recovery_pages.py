"""Forgot-password pages: ask for a reset link by email, then choose a new password with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agora import mail
from agora.accounts import recovery, service, validation
from agora.errors import AgoraError
from agora.i18n import gettext as _
from agora.inputs import Text
from agora.ratelimit import Limits, make_limiter
from agora.web.deps import client_ip, public_link
from agora.web.templating import render

router = APIRouter()

# One link a minute per email address and five per network: enough for someone who lost the
# first mail, too few to flood a mailbox (or the mail server) from a script.
PER_EMAIL = Limits(requests_per_minute=1, tokens_per_minute=1)
PER_ADDRESS = Limits(requests_per_minute=5, tokens_per_minute=1)


@router.get("/password/forgot")
def forgot_page(request: Request, email: Text = "") -> Response:
    return render(request, "accounts/forgot.html", values={"email": email}, mail_ready=mail.configured(request.app.state.settings))


@router.post("/password/forgot")
async def ask_for_link(request: Request, email: Annotated[Text, Form()] = "") -> Response:
    settings = request.app.state.settings
    values = {"email": email}
    try:
        address = validation.clean_email(email)
    except AgoraError as error:
        return render(request, "accounts/forgot.html", error.status, errors={"email": error.message}, values=values, mail_ready=mail.configured(settings))
    if not mail.configured(settings):
        return render(request, "accounts/forgot.html", 503, values=values, mail_ready=False)
    limiter = mail_limiter(request)
    for bucket, limits in ((f"password-reset:email:{address}", PER_EMAIL), (f"password-reset:ip:{client_ip(request)}", PER_ADDRESS)):
        decision = await limiter.acquire(bucket, limits, 0)
        if not decision.allowed:
            message = _("A reset link was sent moments ago. Check your inbox (and spam folder), or try again in a minute.")
            response = render(request, "accounts/forgot.html", 429, errors={"email": message}, values=values, mail_ready=True)
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
            return response
    failure = await run_in_threadpool(_send_link, request, address)
    if failure:
        return render(request, "accounts/forgot.html", 502, errors={"email": failure}, values=values, mail_ready=True)
    # The same answer whether or not an account uses the address: the page tells no one who has an account.
    return render(request, "accounts/forgot.html", sent=address, minutes=recovery.RESET_MINUTES, values=values, mail_ready=True)


def _send_link(request: Request, address: str) -> str | None:
    """Email a reset link if an account can use one; returns why the mail did not go, else None."""
    database, secret_key = request.app.state.database, request.app.state.secret_key
    with database.session() as session:
        user = service.user_by_email(session, address)
        if not recovery.may_reset(user):
            return None
        assert user is not None  # may_reset is False for no user
        url = public_link(request, "reset_page") + "?token=" + recovery.token_for(secret_key, user)
    text = _(
        "Someone (we hope you) asked to reset the password of your Agora account %(email)s.\n\n"
        "Choose a new password with this link. It works once, for %(minutes)d minutes:\n%(url)s\n\n"
        "If you did not ask, ignore this email: your password stays as it is.",
        email=address, minutes=recovery.RESET_MINUTES, url=url,
    )
    try:
        mail.send(request.app.state.settings, to=address, subject=_("Reset your Agora password"), text=text)
    except mail.MailNotSent as refused:
        return _("The email could not be sent: %(reason)s.", reason=refused.reason)
    return None


@router.get("/password/reset", name="reset_page")
def reset_page(request: Request, token: Text = "") -> Response:
    with request.app.state.database.session() as session:
        try:
            recovery.user_for(session, request.app.state.secret_key, token)
        except AgoraError as error:
            return render(request, "accounts/reset.html", error.status, errors={"token": error.message}, token="")
    return render(request, "accounts/reset.html", token=token)


@router.post("/password/reset")
def reset_password(request: Request, token: Annotated[Text, Form()] = "", password: Annotated[Text, Form()] = "") -> Response:
    try:
        with request.app.state.database.session() as session:
            recovery.reset(session, request.app.state.secret_key, token=token, password=password, ip=client_ip(request))
    except AgoraError as error:
        keep = token if error.field == "password" else ""  # a weak password: the link still works, try another
        return render(request, "accounts/reset.html", error.status, errors={error.field: error.message}, token=keep)
    return RedirectResponse("/login?reset=done", status_code=303)


def mail_limiter(request: Request):
    """The limiter of links sent by email (resets, confirmations): shared through Redis when AGORA_REDIS_URL is set,
    like /v1's limits; made on first use."""
    state = request.app.state
    if getattr(state, "mail_limiter", None) is None:
        state.mail_limiter = make_limiter(state.settings)
    return state.mail_limiter

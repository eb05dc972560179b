"""Account pages: sign up, log in, log out, account settings, language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.accounts import cookies, service, sessions, verification, verification_pages
from agora.errors import AgoraError
from agora.inputs import Text
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer, client_ip, safe_next
from agora.web.templating import render

router = APIRouter()


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/signup")
def signup_page(request: Request, viewer: Viewer, next: Text = "/") -> Response:
    if viewer:
        return _redirect(safe_next(next))
    return render(request, "accounts/signup.html", next=safe_next(next))


@router.post("/signup")
def signup(
    request: Request,
    db: Db,
    settings: AppSettings,
    email: Annotated[Text, Form()] = "",
    display_name: Annotated[Text, Form()] = "",
    handle: Annotated[Text, Form()] = "",
    password: Annotated[Text, Form()] = "",
    next: Annotated[Text, Form()] = "/",
) -> Response:
    values = {"email": email, "display_name": display_name, "handle": handle}
    try:
        with db.session() as session:
            user = service.create_user(
                session,
                email=email,
                display_name=display_name,
                handle=handle,
                password=password,
                language=request.state.language,
                ip=client_ip(request),
            )
            cookie = sessions.start(session, user, secret_key=request.app.state.secret_key, days=settings.session_days)
    except AgoraError as error:
        return render(
            request, "accounts/signup.html", error.status, errors={error.field: error.message}, values=values, next=next
        )
    target = safe_next(next)
    if settings.require_email_verification and verification.needs_link(user):
        target = "/email/unverified?next=" + quote(target, safe="/")
    response = _redirect(target)
    cookies.sign_in(response, cookie, user, settings)
    response.background = verification_pages.after_signup(request, user)
    return response


@router.get("/login")
def login_page(request: Request, viewer: Viewer, next: Text = "/") -> Response:
    if viewer:
        return _redirect(safe_next(next))
    return render(request, "accounts/login.html", next=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    db: Db,
    settings: AppSettings,
    email: Annotated[Text, Form()] = "",
    password: Annotated[Text, Form()] = "",
    next: Annotated[Text, Form()] = "/",
) -> Response:
    try:
        with db.session() as session:
            user = service.authenticate(session, settings, email=email, password=password, ip=client_ip(request))
            cookie = sessions.start(session, user, secret_key=request.app.state.secret_key, days=settings.session_days)
    except AgoraError as error:
        response: Response = render(
            request, "accounts/login.html", error.status, errors={error.field: error.message}, values={"email": email}, next=next,
            locked_out=error.code == "rate_limited" and error.field == "email",  # the message points to the reset link
        )
        if retry_after := getattr(error, "retry_after", None):
            response.headers["Retry-After"] = str(retry_after)
        return response
    response = _redirect(safe_next(next))
    cookies.sign_in(response, cookie, user, settings)
    return response


@router.get("/logout")
def logout_page(request: Request, viewer: Viewer) -> Response:
    if viewer is None:
        return _redirect("/")
    return render(request, "accounts/logout.html")


@router.post("/logout")
def logout(request: Request, db: Db) -> Response:
    with db.session() as session:
        sessions.end(session, request.cookies.get(sessions.COOKIE), secret_key=request.app.state.secret_key)
    response = _redirect("/")
    cookies.sign_out(response)
    return response


@router.get("/account")
def account_page(request: Request, viewer: CurrentUser) -> Response:
    return render(request, "accounts/account.html", saved=request.query_params.get("saved"))


@router.post("/account/password")
def change_password(
    request: Request,
    db: Db,
    viewer: CurrentUser,
    current_password: Annotated[Text, Form()] = "",
    new_password: Annotated[Text, Form()] = "",
) -> Response:
    try:
        with db.session() as session:
            user = session.merge(viewer)
            service.change_password(session, user, current=current_password, new=new_password)
            sessions.end_all_others(
                session, user, keep_cookie=request.cookies.get(sessions.COOKIE), secret_key=request.app.state.secret_key
            )
    except AgoraError as error:
        return render(request, "accounts/account.html", error.status, errors={error.field: error.message})
    return _redirect("/account?saved=password")


@router.post("/language")
def switch_language(
    request: Request, db: Db, viewer: Viewer, language: Annotated[Text, Form()] = "", next: Annotated[Text, Form()] = "/"
) -> Response:
    response = _redirect(safe_next(next))
    if language not in ("en", "fr"):
        return response
    if viewer is not None:
        with db.session() as session:
            service.set_language(session.merge(viewer), language)
    cookies.remember_language(response, language)
    return response

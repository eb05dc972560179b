"""The accounts JSON API: the same services as the pages, answering JSON."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response

from agora.accounts import cookies, service, sessions, verification_pages
from agora.accounts.schemas import LoginIn, PasswordChangeIn, SignupIn, UserOut
from agora.web.deps import AppSettings, CurrentUser, Db, SignedInUser, client_ip
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["accounts"], route_class=JsonRoute)


@router.post("/auth/signup", status_code=201, response_model=UserOut)
def signup(body: SignupIn, request: Request, response: Response, db: Db, settings: AppSettings, tasks: BackgroundTasks):
    """Create an account and sign this client in (session cookie); a link to confirm the address is emailed when this
    Agora sends email (`email_verified` is false until it is followed)."""
    with db.session() as session:
        user = service.create_user(
            session,
            email=body.email,
            display_name=body.display_name,
            password=body.password,
            handle=body.handle,
            language=body.language or request.state.language,
            ip=client_ip(request),
        )
        cookie = sessions.start(session, user, secret_key=request.app.state.secret_key, days=settings.session_days)
    cookies.sign_in(response, cookie, user, settings)
    if (mail_link := verification_pages.after_signup(request, user)) is not None:
        tasks.add_task(mail_link)
    return user


@router.post("/auth/login", response_model=UserOut)
def login(body: LoginIn, request: Request, response: Response, db: Db, settings: AppSettings):
    """Sign in; refused with 401 for wrong credentials and 429 (with Retry-After) when rate-limited."""
    with db.session() as session:
        user = service.authenticate(session, settings, email=body.email, password=body.password, ip=client_ip(request))
        cookie = sessions.start(session, user, secret_key=request.app.state.secret_key, days=settings.session_days)
    cookies.sign_in(response, cookie, user, settings)
    return user


@router.post("/auth/logout", status_code=204)
def logout(request: Request, db: Db) -> Response:
    with db.session() as session:
        sessions.end(session, request.cookies.get(sessions.COOKIE), secret_key=request.app.state.secret_key)
    response = Response(status_code=204)
    cookies.sign_out(response)
    return response


@router.get("/me", response_model=UserOut)
def me(user: SignedInUser):  # answers an account that must still verify its email too: `email_verified` says so
    return user


@router.post("/me/password", status_code=204)
def change_password(body: PasswordChangeIn, request: Request, user: CurrentUser, db: Db) -> Response:
    """Change the password; every other session of this user is signed out."""
    with db.session() as session:
        user = session.merge(user)
        service.change_password(session, user, current=body.current_password, new=body.new_password)
        sessions.end_all_others(
            session, user, keep_cookie=request.cookies.get(sessions.COOKIE), secret_key=request.app.state.secret_key
        )
    return Response(status_code=204)

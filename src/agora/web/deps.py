"""Dependencies shared by page routes and the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agora.accounts import sessions
from agora.accounts.models import User
from agora.config import Settings
from agora.db import Database
from agora.errors import Unauthorized
from agora.i18n import gettext as _


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def optional_user(request: Request, database: Annotated[Database, Depends(get_database)]) -> User | None:
    """The signed-in user, or None for a visitor. Also kept on request.state for templates."""
    if not hasattr(request.state, "user"):
        cookie = request.cookies.get(sessions.COOKIE)
        user = None
        if cookie:
            with database.session() as session:
                user = sessions.user_for(session, cookie, secret_key=request.app.state.secret_key)
        request.state.user = user
    return request.state.user


def required_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise Unauthorized(_("Log in to do this."))
    return user


Db = Annotated[Database, Depends(get_database)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Viewer = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(required_user)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host after a form."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default

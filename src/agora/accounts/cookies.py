"""Setting and clearing the cookies that say who is signed in and in which language.

Whether they are Secure is decided for every cookie at once, by the request's scheme
(agora.web.security_headers).
"""

from __future__ import annotations

from fastapi import Response

from agora.accounts import sessions
from agora.accounts.models import User
from agora.config import Settings
from agora.web.request_context import LANGUAGE_COOKIE


def sign_in(response: Response, cookie_value: str, user: User, settings: Settings) -> None:
    response.set_cookie(
        sessions.COOKIE,
        cookie_value,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
    )
    if user.language:  # the user's remembered choice follows them to this browser
        remember_language(response, user.language)


def sign_out(response: Response) -> None:
    response.delete_cookie(sessions.COOKIE, httponly=True, samesite="lax")


def remember_language(response: Response, language: str) -> None:
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=True, samesite="lax")

"""Per-request language and CSRF cookie, as pure ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) so streamed responses pass straight through and the
language context variable is visible to the endpoint and everything it calls.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from agora.config import Settings
from agora.i18n import current_language, negotiate, normalize

LANGUAGE_COOKIE = "agora_lang"
CSRF_COOKIE = "agora_csrf"
BODY_SEND = "body_send"


def cookie_header(name: str, value: str, *, max_age: int, http_only: bool = True) -> bytes:
    """Secure is added when the request came over HTTPS (agora.web.security_headers)."""
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    return "; ".join(parts).encode("latin-1")


class RequestContextMiddleware:
    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is treated as none, whatever it trips on
            cookies = SimpleCookie()
        stored = cookies.get(LANGUAGE_COOKIE)
        language = normalize(stored.value if stored else None) or negotiate(
            headers.get("accept-language"), self.settings.default_language
        )
        csrf = cookies.get(CSRF_COOKIE)
        csrf_token = csrf.value if csrf and len(csrf.value) >= 32 else None
        new_csrf = csrf_token is None
        if csrf_token is None:
            csrf_token = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["language"] = language
        state["csrf_cookie"] = csrf_token
        # The server's send as it reaches this middleware, for streamed bodies: the layers below
        # (cookies, the exception handlers' "has the response started") act on the response's
        # start only, yet each adds a coroutine to every write (agora.chat.sse.ReplyResponse).
        state[BODY_SEND] = send

        def send_with_cookie(message):
            # A plain function handing back send's awaitable, not a coroutine of its own: every
            # token of a streamed reply passes here, and a coroutine layer per write is CPU.
            if message["type"] == "http.response.start":
                cookie = cookie_header(CSRF_COOKIE, csrf_token, max_age=365 * 86400)
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", cookie)]
            return send(message)

        token = current_language.set(language)
        try:
            await self.app(scope, receive, send_with_cookie if new_csrf else send)
        finally:
            current_language.reset(token)

"""Security headers on every response, and cookies marked Secure over HTTPS.

Pure ASGI middleware, outermost but for the trusted proxies' (so /v1, static files and
error pages get the headers too, and the request's scheme is the one a trusted proxy
reported). The pages' Content-Security-Policy allows them exactly what they use: scripts,
styles, fetches and pictures from the site itself (and `blob:` pictures, the editor's
preview of a chosen avatar); no inline script or style anywhere, so a bug that let markup
through could still run nothing. Other responses (pictures, JSON, CSS) load nothing and
run nothing; only the browser's own viewer of a picture opened on its own styles itself
inline. A response that sets its own policy keeps it (the API's interactive
documentation, agora.web.api_docs).

Redirects the framework builds itself (a trailing slash too many, a folder without one)
name the request's Host header, which the client chooses: they are made relative here.
Agora's own absolute links use AGORA_PUBLIC_URL (agora.config).

`form-action` is left out on purpose: browsers apply it to the redirect after a form too,
and choosing a plan redirects to the payment processor's checkout page.
"""

from __future__ import annotations

PAGE_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)).encode()
RESOURCE_POLICY = b"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
CSP = b"content-security-policy"
HEADERS = (
    (b"x-frame-options", b"DENY"),  # frame-ancestors, for browsers older than CSP 2
    (b"x-content-type-options", b"nosniff"),
    # Within the site, the full address; to other sites, nothing: share and invitation links
    # carry their secret in the path, and a shared conversation links out.
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app, *, always_secure_cookies: bool) -> None:
        self.app = app
        self.always_secure_cookies = always_secure_cookies  # AGORA_COOKIE_SECURE: HTTPS the proxy does not report

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.always_secure_cookies or scope.get("scheme") == "https"

        def send_with_headers(message):
            # A plain function handing back send's awaitable: every chunk of a streamed reply
            # passes here, and a coroutine layer per write is CPU.
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []), secure=secure, origin=_origin(scope))
            return send(message)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(headers, *, secure: bool, origin: bytes) -> list[tuple[bytes, bytes]]:
    present = {name.lower(): value for name, value in headers}
    out = []
    for name, value in headers:
        lowered = name.lower()
        if secure and lowered == b"set-cookie":
            value = _secure_cookie(value)
        elif lowered == b"location" and value.startswith(origin + b"/"):
            value = value[len(origin):]
        out.append((name, value))
    out.extend(header for header in HEADERS if header[0] not in present)
    if CSP not in present:
        out.append((CSP, PAGE_POLICY if present.get(b"content-type", b"").startswith(b"text/html") else RESOURCE_POLICY))
    return out


def _secure_cookie(value: bytes) -> bytes:
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"


def _origin(scope) -> bytes:
    """The origin the request named in its Host header (what Starlette builds its URLs from)."""
    host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    return scope.get("scheme", "http").encode() + b"://" + host

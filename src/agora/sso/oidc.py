"""The OpenID Connect authorization code flow with PKCE, as a relying party (authlib's protocol pieces, httpx for HTTP).

`begin` makes the provider's sign-in address and the flow to remember (state, nonce, PKCE
verifier) in a signed cookie; `finish` checks the state, redeems the code at the token
endpoint and validates the ID token: signature against the provider's published keys,
issuer, audience (and azp), expiry and issue time, nonce and at_hash. Only then are its
claims (completed from the userinfo endpoint when the ID token lacks the email) believed.
"""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError

from agora.i18n import gettext as _
from agora.sso import discovery
from agora.sso.errors import SsoFailed
from agora.sso.models import SsoProvider

log = logging.getLogger("agora.sso")
COOKIE = "agora_oidc"
FLOW_SECONDS = 600  # time to sign in at the provider, MFA included
MAX_PENDING = 4  # sign-ins started in other tabs stay valid, up to this many
LEEWAY_SECONDS = 60  # clock difference tolerated between Agora and the provider


@dataclass(frozen=True)
class Flow:
    """One sign-in under way: what the callback must find again."""

    state: str
    nonce: str
    verifier: str
    provider: str
    next: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="agora.oidc")


def pending(cookie: str | None, secret_key: str) -> list[Flow]:
    """The sign-ins this browser has under way (none when the cookie is missing, forged or older than FLOW_SECONDS)."""
    if not cookie:
        return []
    try:
        rows = _serializer(secret_key).loads(cookie, max_age=FLOW_SECONDS)
        return [Flow(*row) for row in rows]
    except (BadSignature, TypeError, ValueError):
        return []


def encode(flows: list[Flow], secret_key: str) -> str:
    rows = [[f.state, f.nonce, f.verifier, f.provider, f.next] for f in flows[-MAX_PENDING:]]
    return _serializer(secret_key).dumps(rows)


def begin(provider: SsoProvider, *, redirect_uri: str, next_path: str, cache: discovery.ProviderCache) -> tuple[str, Flow]:
    """The provider's authorization address for a new sign-in, and the flow to remember (`cache`: the application's)."""
    meta = discovery.metadata(provider.issuer, cache)
    flow = Flow(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), provider.slug, next_path)
    url = prepare_grant_uri(
        meta.authorization_endpoint, provider.client_id, "code", redirect_uri=redirect_uri, scope=provider.scopes,
        state=flow.state, nonce=flow.nonce, code_challenge=create_s256_code_challenge(flow.verifier), code_challenge_method="S256",
    )
    return url, flow


def finish(provider: SsoProvider, flow: Flow, *, code: str, redirect_uri: str, client_secret: str,
           cache: discovery.ProviderCache) -> dict[str, Any]:
    """The verified claims of the person the provider signed in; SsoFailed naming what could not be trusted."""
    meta = discovery.metadata(provider.issuer, cache)
    tokens = _redeem(meta, provider, flow, code=code, redirect_uri=redirect_uri, client_secret=client_secret)
    id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
    if not isinstance(id_token, str):
        raise SsoFailed(_("The identity provider sent no ID token: is the openid scope granted to Agora's client?"), reason="no_id_token")
    claims = validate_id_token(id_token, meta, client_id=provider.client_id, nonce=flow.nonce, access_token=access_token)
    if (not claims.get("email") or provider.groups_claim not in claims) and meta.userinfo_endpoint and isinstance(access_token, str):
        info = _userinfo(meta, access_token)
        if info.get("sub") == claims["sub"]:  # userinfo about someone else is ignored, as the spec requires
            claims = {**info, **claims}
    return claims


def validate_id_token(id_token: str, meta: discovery.Metadata, *, client_id: str, nonce: str, access_token: Any) -> dict[str, Any]:
    token = None
    for refresh in (False, True):
        try:
            token = jwt.decode(id_token, discovery.keys(meta, refresh=refresh), algorithms=list(meta.algorithms))
            break
        except (BadSignatureError, ValueError) as error:
            if refresh:  # a key the provider published since, or a forged token
                raise _untrusted(_("its signature does not match the provider's keys"), "bad_signature", error) from error
        except JoseError as error:
            raise _untrusted(_("it cannot be read (%(detail)s)", detail=error.error), "bad_token", error) from error
    assert token is not None  # the second pass decodes or raises
    claims = CodeIDToken(
        token.claims, token.header,
        options={"iss": {"essential": True, "value": meta.issuer}, "aud": {"essential": True, "value": client_id},
                 "nonce": {"essential": True, "value": nonce}},
        params={"nonce": nonce, "client_id": client_id, "access_token": access_token if isinstance(access_token, str) else None},
    )
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except ExpiredTokenError as error:
        raise _untrusted(_("it has expired"), "expired", error) from error
    except ClaimError as error:
        reason = {"iss": "wrong_issuer", "aud": "wrong_audience", "azp": "wrong_audience", "nonce": "bad_nonce"}.get(error.claim, "bad_claims")
        described = {
            "wrong_issuer": _("it was issued by another issuer"), "wrong_audience": _("it was issued for another application"),
            "bad_nonce": _("it belongs to another sign-in (nonce)"),
        }.get(reason, _("its claim %(claim)s is wrong or missing", claim=error.claim))
        raise _untrusted(described, reason, error) from error
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise _untrusted(_("its claim %(claim)s is wrong or missing", claim="sub"), "bad_claims", None)
    return dict(claims)


def _untrusted(what: str, reason: str, error: Exception | None) -> SsoFailed:
    log.warning("ID token refused", extra={"reason": reason, "detail": str(error) if error else ""})
    return SsoFailed(
        _("Single sign-on failed: the identity provider's ID token cannot be trusted (%(what)s). Try again; "
          "if it keeps failing, tell your administrator.", what=what),
        reason=reason, status=401,
    )


def _redeem(meta: discovery.Metadata, provider: SsoProvider, flow: Flow, *, code: str, redirect_uri: str, client_secret: str) -> dict[str, Any]:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": flow.verifier}
    # client_secret_basic, which every provider supports: each part form-encoded first (RFC 6749, 2.3.1).
    pair = f"{quote(provider.client_id, safe='')}:{quote(client_secret, safe='')}"
    headers = {"Accept": "application/json", "Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    try:
        response = httpx.post(meta.token_endpoint, data=body, headers=headers, timeout=discovery.TIMEOUT_SECONDS)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SsoFailed(_("The identity provider at %(url)s did not answer as expected: %(reason)s", url=meta.issuer,
                          reason=str(error) or type(error).__name__), reason="unreachable", status=502) from error
    if response.status_code != 200 or not isinstance(answer, dict):
        error_code = answer.get("error", response.status_code) if isinstance(answer, dict) else response.status_code
        log.warning("token request refused", extra={"provider": provider.slug, "error": error_code})
        raise SsoFailed(_("The identity provider refused to complete the sign-in (%(error)s). Start again.", error=error_code),
                        reason="token_refused", status=401)
    return answer


def _userinfo(meta: discovery.Metadata, access_token: str) -> dict[str, Any]:
    assert meta.userinfo_endpoint is not None
    try:
        response = httpx.get(meta.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                             timeout=discovery.TIMEOUT_SECONDS)
        info = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        info = {}  # the ID token's claims stand alone; what they lack is reported by the caller
    return info if isinstance(info, dict) else {}

"""OAuth 2 for actions: the builder's client (addresses, scope, id and secret encrypted) and a person's sign-in with PKCE.

Authorization code with PKCE (S256, RFC 7636) and a `state` per sign-in: Agora sends the
person to the provider's authorization URL; the provider sends them back to the one callback
of the installation (`/actions/oauth/callback`, which the builder registers at the provider),
where the code is exchanged for tokens at the token URL, through the outbound guard, and the
tokens stored encrypted for that person and action (agora.actions.tokens). A sign-in under way
is a row keyed by the SHA-256 of its state, with the code verifier encrypted: it is good for
ten minutes, for the person who started it, once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from agora import outbound
from agora.actions.models import ActionSignIn, GptAction
from agora.config import Settings
from agora.db import begin_writing, utcnow
from agora.errors import AgoraError, InvalidInput
from agora.i18n import gettext as _
from agora.providers import encryption

CLIENT_PURPOSE = b"agora action oauth clients v1"
VERIFIER_PURPOSE = b"agora action oauth verifiers v1"
CALLBACK_PATH = "/actions/oauth/callback"
SIGN_IN_SECONDS = 600  # time to sign in at the provider, MFA included
TOKEN_SECONDS = 20.0  # a token request's time
MAX_URL = 2000
MAX_SCOPE = 1000
MAX_CLIENT = 2000


class OAuthIn(BaseModel):
    """The builder's OAuth client: the provider's addresses, the scope asked for, the client's id and secret (write-only:
    kept when omitted on an update) and how the token request authenticates (`post`: in its body; `basic`: HTTP Basic)."""

    authorization_url: str = Field("", max_length=MAX_URL)
    token_url: str = Field("", max_length=MAX_URL)
    scope: str = Field("", max_length=MAX_SCOPE)
    client_id: str | None = Field(None, max_length=MAX_CLIENT)
    client_secret: str | None = Field(None, max_length=MAX_CLIENT)
    token_exchange: Literal["post", "basic"] = "post"


@dataclass(frozen=True)
class Client:
    """What a token request needs: the provider's token URL, the client, how it authenticates."""

    token_url: str
    client_id: str
    client_secret: str
    token_exchange: str


class SignInFailed(AgoraError):
    """A sign-in that did not end with tokens: the person is told why and may start again."""

    status, code = 400, "sign_in_failed"


def configure(action: GptAction, given: OAuthIn, settings: Settings) -> None:
    """Set the action's OAuth client from what the builder gave; InvalidInput naming the field to fix."""
    previous = action.auth if action.auth_type == "oauth" else {}
    addresses = {}
    for field in ("authorization_url", "token_url"):
        url = getattr(given, field).strip() or previous.get(field, "")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
            raise InvalidInput(_("Give the provider's %(what)s: an http or https URL.",
                                 what=_("authorization URL") if field == "authorization_url" else _("token URL")), field=f"auth.{field}")
        try:  # refused early, with the guard's reason; each token request is judged again
            outbound.check_url(url, settings)
        except outbound.Refused as refused:
            raise InvalidInput(str(refused), field=f"auth.{field}", code=f"outbound_{refused.code}") from None
        addresses[field] = url
    stored = _client_of(action, settings) if action.auth_type == "oauth" and action.secret_encrypted else {}
    client_id = (given.client_id or "").strip() or stored.get("client_id", "")
    client_secret = (given.client_secret or "").strip() or stored.get("client_secret", "")
    if not client_id:
        raise InvalidInput(_("Enter the client ID the provider gave for Agora."), field="auth.client_id")
    if not client_secret:
        raise InvalidInput(_("Enter the client secret the provider gave for Agora."), field="auth.client_secret")
    for field, value in (("client_id", client_id), ("client_secret", client_secret), ("scope", given.scope)):
        if any(c in value for c in "\r\n\x00"):
            raise InvalidInput(_("This is one line of text."), field=f"auth.{field}")
    action.auth_type = "oauth"
    action.auth = {**addresses, "scope": " ".join(given.scope.split()), "token_exchange": given.token_exchange}
    action.secret_encrypted = encryption.encrypt(json.dumps({"client_id": client_id, "client_secret": client_secret}),
                                                 settings.resolved_secret_key(), CLIENT_PURPOSE)


def _client_of(action: GptAction, settings: Settings) -> dict[str, str]:
    try:
        return json.loads(encryption.decrypt(action.secret_encrypted or "", settings.resolved_secret_key(), CLIENT_PURPOSE))
    except encryption.KeyUnreadable:
        return {}


def client(action: GptAction, settings: Settings) -> Client | None:
    """The action's client for a token request; None when its secret was saved under another secret key."""
    stored = _client_of(action, settings)
    if not stored:
        return None
    return Client(action.auth["token_url"], stored["client_id"], stored["client_secret"], action.auth.get("token_exchange", "post"))


def host_of(action: GptAction) -> str:
    """Where the person signs in, as the chat names it: the authorization URL's host."""
    return urlsplit(action.auth.get("authorization_url", "")).hostname or ""


def redirect_uri(settings: Settings) -> str:
    """The one address providers send people back to: what a builder registers at the provider."""
    return settings.resolved_public_url() + CALLBACK_PATH


def begin(session: Session, settings: Settings, *, action: GptAction, user_id: int, next_path: str) -> str:
    """Record a sign-in under way and give the provider's authorization URL to send the person to."""
    found = client(action, settings)
    if found is None:
        raise SignInFailed(_("This action's OAuth client was saved under another secret key: an editor must enter it again."))
    session.execute(delete(ActionSignIn).where(ActionSignIn.created_at < utcnow() - timedelta(seconds=SIGN_IN_SECONDS)))
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)  # 86 characters: RFC 7636 asks for 43 to 128
    session.add(ActionSignIn(state_hash=_hash(state), action_id=action.id, user_id=user_id, next=next_path[:2000],
                             verifier_encrypted=encryption.encrypt(verifier, settings.resolved_secret_key(), VERIFIER_PURPOSE)))
    query = {"response_type": "code", "client_id": found.client_id, "redirect_uri": redirect_uri(settings), "state": state,
             "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    if action.auth.get("scope"):
        query["scope"] = action.auth["scope"]
    url = action.auth["authorization_url"]
    return url + ("&" if urlsplit(url).query else "?") + urlencode(query)


@dataclass(frozen=True)
class Pending:
    action: GptAction
    verifier: str
    next: str


def take(session: Session, settings: Settings, *, state: str, user_id: int) -> Pending:
    """The sign-in `state` names, removed (a callback is answered once); SignInFailed when there is none for this person."""
    begin_writing(session)  # reads, then deletes: on SQLite, the writer from BEGIN (agora.db.begin_writing)
    row = session.scalar(select(ActionSignIn).where(ActionSignIn.state_hash == _hash(state)).with_for_update())
    if row is None or row.user_id != user_id or row.created_at < utcnow() - timedelta(seconds=SIGN_IN_SECONDS):
        raise SignInFailed(_("This sign-in expired or was started by someone else. Start again from the chat."))
    session.delete(row)
    action = session.get(GptAction, row.action_id)
    if action is None or action.auth_type != "oauth":
        raise SignInFailed(_("This action no longer signs in with OAuth."))
    try:
        verifier = encryption.decrypt(row.verifier_encrypted, settings.resolved_secret_key(), VERIFIER_PURPOSE)
    except encryption.KeyUnreadable:
        raise SignInFailed(_("This sign-in expired or was started by someone else. Start again from the chat.")) from None
    return Pending(action, verifier, row.next)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class TokenRefused(Exception):
    """The provider answered the token request with an error (a code used twice, a refresh token revoked): sign in again."""


async def token_request(found: Client, settings: Settings | None, form: dict[str, str]) -> dict[str, Any]:
    """POST to the token URL through the outbound guard; the provider's JSON answer, which carries an access token.

    TokenRefused when the provider refused (4xx, or no access token); httpx.HTTPError or outbound.Refused when it
    could not be asked."""
    headers = {"Accept": "application/json"}
    body = dict(form)
    if found.token_exchange == "basic":
        # RFC 6749, 2.3.1: each part form-encoded, then joined and base64-encoded.
        pair = f"{quote(found.client_id, safe='')}:{quote(found.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        body |= {"client_id": found.client_id, "client_secret": found.client_secret}
    async with outbound.async_client(settings, timeout=TOKEN_SECONDS, follow_redirects=False) as http:
        response = await http.post(found.token_url, data=body, headers=headers)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if response.status_code >= 500:
            raise httpx.HTTPStatusError(f"the token URL answered {response.status_code}", request=response.request, response=response)
        raise TokenRefused(f"HTTP {response.status_code}")
    if response.status_code >= 400 or not isinstance(answer.get("access_token"), str):
        raise TokenRefused(str(answer.get("error_description") or answer.get("error") or f"HTTP {response.status_code}")[:300])
    return answer

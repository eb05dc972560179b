"""A real OAuth 2 authorization server and the API it protects, on loopback: authlib's server, nothing stubbed.

Authorization code with PKCE required (S256 checked by authlib's CodeChallenge), refresh tokens
(a new one at each refresh, the old one revoked), a client that authenticates at the token URL
in one way only (`client_secret_post` or `client_secret_basic`, as the builder chose), and a
notes API reading the bearer token: GET /notes (listNotes) answers the notes of the person
the token was issued to. Tests may expire every access token, revoke a person's refresh
tokens, and read what the server saw (the token requests' forms, the authorization queries).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import flask
import werkzeug.serving
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge

CLIENT_ID = "agora-notes"
CLIENT_SECRET = "s3cret-notes"

DOCUMENT = """\
openapi: 3.1.0
info:
  title: Notes
  version: 1.0.0
servers:
  - url: {base}
paths:
  /notes:
    get:
      operationId: listNotes
      summary: The signed-in person's notes
"""

AUTHORIZE_PAGE = """<!doctype html><html lang="en"><head><title>Notes: sign in</title></head><body>
<h1>Sign in to Notes</h1><p>{client} asks to read your notes.</p>
<form method="post"><label>Your name <input name="user" value="ana"></label>
<button type="submit" name="answer" value="allow">Authorize</button>
<button type="submit" name="answer" value="deny">Refuse</button></form></body></html>"""


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str
    auth_method: str  # client_secret_post or client_secret_basic

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("notes.read", "notes.write"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class Code:
    code: str
    user: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token:
    access_token: str
    refresh_token: str | None
    user: str
    scope: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return True

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return self.user

    def get_client(self) -> Any:
        return None


@dataclass
class Store:
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    token_forms: list[dict[str, str]] = field(default_factory=list)  # each token request's form (the secret left out)
    token_auth: list[str] = field(default_factory=list)  # how each token request authenticated: "basic" or "post"
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    api_tokens: list[str] = field(default_factory=list)  # the bearer tokens the notes API was called with


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        self.server.store.codes[code] = Code(code, request.user, request.payload.redirect_uri, request.payload.scope or "",
                                             request.payload.data.get("code_challenge"), request.payload.data.get("code_challenge_method"))

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        return self.server.store.codes.get(code)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.store.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> str:
        return authorization_code.user


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return next((t for t in self.server.store.tokens if t.refresh_token == refresh_token and not t.revoked), None)

    def authenticate_user(self, refresh_token: Token) -> str:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.revoked = True


class Validator(BearerTokenValidator):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def authenticate_token(self, token_string: str) -> Token | None:
        self.store.api_tokens.append(token_string)
        return next((t for t in self.store.tokens if t.access_token == token_string), None)


class OAuthServer:
    """Start with `start()`; `configure(redirect_uri, auth_method)` before a sign-in; `base_url` serves both the provider
    (/authorize, /token) and the notes API (/notes)."""

    def __init__(self) -> None:
        self.store = Store()
        self.client = Client(CLIENT_ID, CLIENT_SECRET, "", "client_secret_post")
        self.notes: dict[str, list[str]] = {"ana": ["Buy oat milk", "Call the plumber"], "bob": ["Bob's only note"]}
        self.expires_in = 3600
        app = flask.Flask(__name__)
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 3600, "refresh_token": 3600}
        server = AuthorizationServer(app, query_client=lambda client_id: self.client if client_id == self.client.client_id else None,
                                     save_token=self._save_token)
        server.store = self.store
        server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
        server.register_grant(RefreshTokenGrant)
        protect = ResourceProtector()
        protect.register_token_validator(Validator(self.store))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            if flask.request.method == "GET":
                self.store.authorize_queries.append(dict(flask.request.args))
                try:
                    server.get_consent_grant(end_user=None)
                except Exception as error:  # the request itself is wrong: shown, as a provider does
                    return f"<p>Bad request: {error}</p>", 400
                return AUTHORIZE_PAGE.format(client=self.client.client_id)
            user = flask.request.form.get("user", "ana") if flask.request.form.get("answer") == "allow" else None  # None: refused
            return server.create_authorization_response(grant=server.get_consent_grant(end_user=user), grant_user=user)

        @app.route("/token", methods=["POST"])
        def token():
            form = {k: v for k, v in flask.request.form.items() if k != "client_secret"}
            self.store.token_forms.append(form)
            self.store.token_auth.append("basic" if flask.request.headers.get("Authorization", "").startswith("Basic ") else "post")
            return server.create_token_response()

        @app.route("/notes")
        @protect()
        def notes():
            return flask.jsonify({"user": current_token.user, "notes": self.notes.get(current_token.user, [])})

        self.app = app
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def _save_token(self, token: dict[str, Any], request: Any) -> None:
        token["expires_in"] = self.expires_in
        self.store.tokens.append(Token(token["access_token"], token.get("refresh_token"), request.user, token.get("scope", ""),
                                       time.time() + self.expires_in))

    def start(self) -> OAuthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def configure(self, *, redirect_uri: str, auth_method: str = "client_secret_post") -> None:
        self.client.redirect_uri, self.client.auth_method = redirect_uri, auth_method
        self.store.token_forms.clear()
        self.store.token_auth.clear()
        self.store.authorize_queries.clear()
        self.store.api_tokens.clear()

    def expire_access_tokens(self) -> None:
        for token in self.store.tokens:
            token.expires_at = time.time() - 1

    def revoke(self, user: str) -> None:
        """The person revoked Agora at the provider: every token of theirs stops working, refresh tokens included."""
        for token in self.store.tokens:
            if token.user == user:
                token.revoked = True
                token.expires_at = time.time() - 1

    def document(self) -> str:
        return DOCUMENT.format(base=self.base_url)

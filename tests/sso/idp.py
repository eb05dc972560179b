"""A real OpenID provider on loopback (oidc-provider-mock, authlib's server), and a person signing in through it.

`tamper` makes the provider itself issue tokens a relying party must refuse, signed with
its real key: a token request reaching it under another host name gets another issuer,
an authorization asked for another client gets another audience, a different nonce
another nonce. Nothing is forged after the provider signed it.
"""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving

OTHER_CLIENT = "another-application"


class Idp:
    def __init__(self, *, token_max_age: timedelta = timedelta(hours=1)) -> None:
        self.tamper: set[str] = set()  # "issuer", "audience", "nonce"
        app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_max_age)
        self.server = werkzeug.serving.make_server("localhost", 0, self._wrap(app.wsgi_app), threaded=True)
        self.port = self.server.server_port
        self.issuer = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _wrap(self, inner):
        def app(environ, start_response):
            path, query = environ["PATH_INFO"], dict(parse_qsl(environ.get("QUERY_STRING", "")))
            if path == "/oauth2/authorize":
                if "audience" in self.tamper:
                    query["client_id"] = OTHER_CLIENT
                if "nonce" in self.tamper:
                    query["nonce"] = "a-nonce-from-another-sign-in"
                environ["QUERY_STRING"] = urlencode(query)
            if path == "/oauth2/token":
                if "issuer" in self.tamper:
                    environ["HTTP_HOST"] = f"127.0.0.1:{self.port}"
                if "audience" in self.tamper:
                    environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{OTHER_CLIENT}:x".encode()).decode()
            return inner(environ, start_response)

        return app

    def set_user(self, sub: str, **claims) -> None:
        assert httpx.put(f"{self.issuer}/users/{sub}", json=claims).status_code == 204

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


def sign_in(client: httpx.Client, slug: str, sub: str, *, next_path: str = "/") -> httpx.Response:
    """Go through the provider as a person does: Agora sends the browser there, the person
    signs in as `sub`, the provider sends the browser back. Returns Agora's answer to the callback."""
    start = client.get(f"/auth/oidc/{slug}/login", params={"next": next_path})
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert httpx.get(authorize).status_code == 200  # the provider's sign-in page
    back = httpx.post(authorize, data={"sub": sub})
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}")

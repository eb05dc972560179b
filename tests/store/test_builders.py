"""Builder profiles and domain verification by a real HTTPS fetch."""

import http.server
import ssl
import threading

import pytest
import trustme

from tests.conftest import free_port


class TokenServer:
    """An HTTPS server on loopback serving `body` at `path` (a builder's /.well-known/agora-builder.txt by default)."""

    def __init__(self, tmp_path) -> None:
        self.ca = trustme.CA()
        self.ca_file = tmp_path / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.body = b""
        self.path = "/.well-known/agora-builder.txt"
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                found = self.path == owner.path and owner.body
                self.send_response(200 if found else 404)
                self.end_headers()
                self.wfile.write(owner.body if found else b"not here")

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("localhost").configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def domain(self) -> str:
        return f"localhost:{self.port}"


@pytest.fixture
def token_server(tmp_path, server):
    token_server = TokenServer(tmp_path)
    server.app.state.settings = server.settings.model_copy(
        update={"outbound_allow_hosts": "localhost", "builder_verification_ca_bundle": str(token_server.ca_file)}
    )
    yield token_server
    server.app.state.settings = server.settings
    token_server.httpd.shutdown()


def test_verify_a_domain_then_show_it_on_the_profile(browser, token_server):
    browser.signup(handle="ada")
    headers = browser.api_headers()
    claim = browser.post("/api/me/domains", json={"domain": token_server.domain}, headers=headers)
    assert claim.status_code == 201 and claim.json()["verified"] is False
    token = claim.json()["token"]
    assert claim.json()["url"] == f"https://{token_server.domain}/.well-known/agora-builder.txt"

    not_yet = browser.post(f"/api/me/domains/{claim.json()['id']}/verify", headers=headers)
    assert not_yet.status_code == 422 and "HTTP 404" in not_yet.json()["error"]["message"]
    token_server.body = b"someone else's token\n"
    wrong = browser.post(f"/api/me/domains/{claim.json()['id']}/verify", headers=headers)
    assert wrong.status_code == 422 and "does not contain your token" in wrong.json()["error"]["message"]

    token_server.body = token.encode() + b"\n"
    verified = browser.post(f"/api/me/domains/{claim.json()['id']}/verify", headers=headers)
    assert verified.status_code == 200 and verified.json()["verified"] is True
    assert browser.get("/api/builders/ada").json()["verified_domains"] == [token_server.domain]


def test_private_addresses_are_refused_by_default(browser):
    browser.signup()
    headers = browser.api_headers()
    for domain, message in [("localhost:8443", "domain name like example.com"), ("not a domain", "domain name like example.com")]:
        response = browser.post("/api/me/domains", json={"domain": domain}, headers=headers)
        assert response.status_code == 422 and message in response.json()["error"]["message"], domain


def test_refuse_private_resolves_the_name():
    from agora.config import Settings
    from agora.errors import InvalidInput
    from agora.domain_proof import fetch_token

    with pytest.raises(InvalidInput, match="loopback address"):
        fetch_token("localhost", Settings(_env_file=None), "/.well-known/agora-builder.txt")


def test_unknown_builder_is_404(browser):
    assert browser.get("/api/builders/nobody-here").status_code == 404

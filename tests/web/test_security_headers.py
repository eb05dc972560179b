"""Security headers on every response; Secure cookies over HTTPS, believed from trusted proxies only.

Regression (issue 15, item 9): no response carried any of these headers.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agora.accounts.models import LoginAttempt
from tests.conftest import LiveServer, make_settings

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers.get(name))
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    if response.headers["content-type"].startswith("text/html"):
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    else:  # pictures, JSON, CSS: nothing to load or run
        assert policy.startswith("default-src 'none'") and "script-src" not in policy


def test_every_kind_of_response_carries_the_headers(browser):
    headers = browser.api_headers()
    responses = [
        browser.get("/"), browser.get("/login"), browser.get("/no/such/page"), browser.get("/static/agora.css"),
        browser.get("/api/store/search?q=walrus"), browser.get("/healthz"), browser.get("/v1/models"), browser.get("/favicon.ico"),
        browser.post("/api/auth/login", json={"email": "x@example.com", "password": "wrong wrong"}, headers=headers),
        browser.post("/login", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 200, 200, 200, 401, 200, 401, 413]
    for response in responses:
        assert_secured(response)


def test_the_api_documentation_has_a_policy_of_its_own(browser):
    docs = browser.get("/api/docs")
    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    policy = docs.headers["content-security-policy"]
    assert "'sha256-" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert docs.headers["x-frame-options"] == "DENY"


@pytest.fixture
def behind_proxy(server, tmp_path):
    """A second server on the same database, told that 127.0.0.1 is its reverse proxy."""
    def start(trusted: str) -> LiveServer:
        settings = make_settings(tmp_path, server.settings.resolved_database_url(), trusted_proxies=trusted)
        started.append(LiveServer(settings).start())
        return started[-1]

    started: list[LiveServer] = []
    yield start
    for live in started:
        live.stop()


def cookies_of(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_cookies_are_secure_when_a_trusted_proxy_reports_https(behind_proxy, make_browser):
    proxied = behind_proxy("127.0.0.1")
    over_https = httpx.get(f"{proxied.url}/", headers={"X-Forwarded-Proto": "https"})
    assert [c for c in cookies_of(over_https) if c.startswith("agora_csrf=")][0].endswith("; Secure")
    over_http = httpx.get(f"{proxied.url}/")
    assert not any("secure" in c.lower() for c in cookies_of(over_http))
    assert_secured(over_https)

    # The proxy speaks plain HTTP to Agora, so the client's cookie jar would keep a Secure cookie
    # to itself: it is sent by hand, as the browser does over HTTPS.
    page = httpx.get(f"{proxied.url}/signup", headers={"X-Forwarded-Proto": "https"})
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_up = httpx.post(f"{proxied.url}/signup", data={"email": "ada@example.com", "display_name": "Ada",
                                                          "password": "correct horse battery", "csrf_token": token},
                           headers={"X-Forwarded-Proto": "https", "Cookie": f"agora_csrf={page.cookies['agora_csrf']}"})
    assert signed_up.status_code == 303
    assert all(c.endswith("; Secure") for c in cookies_of(signed_up)) and cookies_of(signed_up)


def test_forwarded_headers_from_an_untrusted_address_are_ignored(server, behind_proxy, database):
    elsewhere = behind_proxy("10.0.0.0/8")  # the proxy is not us: 127.0.0.1 is not believed
    for url in (server.url, elsewhere.url):  # nor by default, with no proxy configured
        response = httpx.get(f"{url}/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert not any("secure" in c.lower() for c in cookies_of(response))
        with httpx.Client(base_url=url) as client:
            token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"email": "x@example.com", "password": "guess guess", "csrf_token": token},
                        headers={"X-Forwarded-For": "203.0.113.9"})
    with database.session() as session:
        assert set(session.scalars(select(LoginAttempt.ip))) == {"127.0.0.1"}


def test_a_trusted_proxy_gives_the_clients_address(behind_proxy, database):
    proxied = behind_proxy("127.0.0.1")
    with httpx.Client(base_url=proxied.url, headers={"X-Forwarded-For": "203.0.113.9"}) as client:
        token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert client.post("/login", data={"email": "x@example.com", "password": "guess guess", "csrf_token": token}).status_code == 401
    with database.session() as session:
        assert list(session.scalars(select(LoginAttempt.ip))) == ["203.0.113.9"]

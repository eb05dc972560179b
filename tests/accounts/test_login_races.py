"""Login limits hold under concurrency, and do not lock the owner out of a network they use.

Clients bind real loopback source addresses (127.0.0.2, 127.0.0.3...: Linux routes all of
127/8 to lo), so the server sees different client addresses without any forwarded header.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Browser, start_agora, stop_agora

ATTEMPTS = 30


def client_from(url: str, address: str, **kwargs) -> Browser:
    return Browser(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address=address), **kwargs)


def concurrent_logins(url: str, *, address: str, email: str, password: str, n: int = ATTEMPTS) -> list[int]:
    """`n` log-ins sent at once (each on its own connection) from `address`; their statuses."""
    seed = client_from(url, address)
    token = seed.csrf("/login")
    start = threading.Barrier(n)

    def attempt(_: int) -> int:
        with client_from(url, address, cookies=seed.cookies) as client:
            start.wait()
            return client.post("/login", data={"email": email, "password": password, "csrf_token": token}).status_code

    with ThreadPoolExecutor(n) as pool:
        statuses = list(pool.map(attempt, range(n)))
    seed.close()
    return statuses


def test_concurrent_wrong_passwords_reach_the_check_at_most_the_limit(browser, server):
    """Regression (issue 15, item 2): 30 at once all reached the password check (no 429)."""
    browser.signup()
    limit = server.settings.login_max_failures_per_email
    statuses = concurrent_logins(server.url, address="127.0.0.2", email="ada@example.com", password="guess guess guess")
    assert sorted(set(statuses)) == [401, 429], statuses
    assert statuses.count(401) == limit, statuses


def test_the_owner_still_logs_in_from_a_network_used_before(browser, server):
    assert browser.signup().status_code == 303  # from 127.0.0.1: an address Ada has used
    concurrent_logins(server.url, address="127.0.0.2", email="ada@example.com", password="guess guess guess")
    stranger = client_from(server.url, "127.0.0.3")
    refused = stranger.login()  # the right password, from an address Ada never used
    assert refused.status_code == 429
    assert "Too many failed logins for this email" in refused.text
    assert "network where you have logged in before" in refused.text
    owner = client_from(server.url, "127.0.0.1")
    assert owner.login().status_code == 303
    # The attacker's failures are still counted after the owner's success.
    assert client_from(server.url, "127.0.0.2").login().status_code == 429


def test_the_per_address_limit_holds_for_a_known_address_too(browser, server):
    browser.signup()
    limit = server.settings.login_max_failures_per_email
    statuses = concurrent_logins(server.url, address="127.0.0.1", email="ada@example.com", password="guess guess guess")
    assert statuses.count(401) == limit, statuses  # a known address is not a licence to guess


@pytest.mark.skipif(not os.environ.get("AGORA_TEST_REDIS_URL"), reason="needs AGORA_TEST_REDIS_URL")
def test_limits_hold_across_two_workers_with_redis(browser, server, tmp_path):
    browser.signup()
    process, url, _log = start_agora(tmp_path, database_url=server.settings.resolved_database_url(),
                                     redis_url=os.environ["AGORA_TEST_REDIS_URL"])
    try:
        statuses = concurrent_logins(url, address="127.0.0.2", email="ada@example.com", password="guess guess guess")
        assert statuses.count(401) == server.settings.login_max_failures_per_email, statuses
    finally:
        stop_agora(process)

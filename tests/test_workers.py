"""`agora serve --workers 2` behaves exactly like one worker.

A real server process with two workers: sessions, CSRF tokens, login limits and logouts
hold whichever worker answers, and SIGTERM stops it cleanly. JSON access logs carry the
worker's pid, which proves both workers served requests.
"""

import json
import signal

import httpx
import pytest

from tests.conftest import Browser, start_agora, stop_agora, worker_pids


@pytest.fixture
def two_workers(server, tmp_path):
    process, url, log = start_agora(tmp_path, database_url=server.settings.resolved_database_url())
    yield url, process, log
    stop_agora(process)


def fresh_connections(url: str, **kwargs) -> Browser:
    # No keep-alive: every request opens a connection, which either worker may accept.
    return Browser(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0), **kwargs)


def test_two_workers_share_sessions_limits_and_logouts(two_workers):
    url, process, log = two_workers
    ada = fresh_connections(url)
    assert ada.signup().status_code == 303
    for _ in range(30):
        assert ada.get("/account").status_code == 200  # the session is known to both workers

    for n in range(5):  # CSRF tokens made by one worker are accepted by the other
        response = ada.submit("/language", {"language": "fr" if n % 2 else "en", "next": "/account"}, form_page="/account")
        assert response.status_code == 303

    attacker = fresh_connections(url)
    for _ in range(5):
        assert attacker.login(password="guess guess guess").status_code == 401
    for _ in range(6):  # the limit holds on every worker
        assert attacker.login(password="guess guess guess").status_code == 429

    cookie = ada.cookies["agora_session"]
    assert ada.submit("/logout", {}, form_page="/logout").status_code == 303
    replay = fresh_connections(url, cookies={"agora_session": cookie})
    for _ in range(20):
        assert replay.get("/account", follow_redirects=False).status_code == 303

    assert len(worker_pids(log)) == 2, "requests should have reached both workers"


def test_sigterm_shuts_down_cleanly(two_workers):
    url, process, log = two_workers
    assert httpx.get(f"{url}/healthz").status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    messages = [json.loads(line).get("message") for line in log.read_text().splitlines() if line.startswith("{")]
    assert messages.count("agora stopped") == 2

"""The database goes away under a running server (PostgreSQL cut at a proxy; SQLite's writes held by another
connection): /v1 calls that need no database go on and their usage waits in memory; past the usage backlog
/v1 answers 503 with Retry-After in OpenAI's shape and the chat refuses clearly; when the database is back every
record is written, none lost, none twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select

from agora.metering.models import UsageRecord
from tests.api.conftest import make_key, set_plan_entitlements
from tests.chat.conftest import eventually, make_gpt
from tests.conftest import Browser, LiveServer
from tests.outage import DatabaseProxy, hold_sqlite_writes
from tests.providers.standin import StandIn

BACKLOG = 100


@pytest.fixture(scope="module")
def standin() -> StandIn:
    return StandIn().start_in_thread()


@pytest.fixture
def outage_server(server, standin) -> Iterator[tuple[LiveServer, object]]:
    """A server of its own, with a small usage backlog, whose database the test can take away."""
    url = server.settings.resolved_database_url()
    if server.database.dialect == "postgresql":
        proxy = DatabaseProxy(url)
        url = proxy.url

        @contextmanager
        def away() -> Iterator[None]:
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()
    else:
        def away():
            return hold_sqlite_writes(server.database.engine.url.database)
    settings = server.settings.model_copy(update={
        "database_url": url, "usage_backlog": BACKLOG, "chat_provider": "openai", "openai_base_url": standin.base_url,
        "openai_models": "standin", "openai_max_retries": 0, "openai_timeout_seconds": 5.0,
    })
    live = LiveServer(settings).start()
    yield live, away
    live.stop()
    live.app.state.database.dispose()


def metered(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(UsageRecord))


def test_usage_waits_for_the_database_then_calls_are_refused_then_everything_is_written(outage_server, database):
    live, away = outage_server
    key = make_key(database)
    set_plan_entitlements(database, "plus", api_requests_per_minute=100_000, api_tokens_per_minute=100_000_000)
    chatter = Browser(base_url=live.url, timeout=30)
    chatter.signup()
    headers = chatter.api_headers()
    conversation = chatter.post("/api/conversations", json={"gpt_id": make_gpt(database)}, headers=headers).json()["id"]
    api = httpx.Client(base_url=f"{live.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    call = {"model": "standin", "messages": [{"role": "user", "content": "hello"}]}
    assert api.post("/chat/completions", json=call).status_code == 200  # the caller is remembered: calls need no database now
    assert eventually(lambda: metered(database) == 1)

    answered = 0
    with away():
        for _ in range(3 * BACKLOG):
            response = api.post("/chat/completions", json=call)
            if response.status_code != 200:
                break
            answered += 1
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "usage_backlog_full" and "database is unavailable" in error["message"]
        assert int(response.headers["Retry-After"]) > 0
        assert answered >= BACKLOG - 1  # every answered call's usage is held, none written yet
        assert metered(database) == 1
        refused = chatter.post(f"/api/conversations/{conversation}/messages", json={"content": "hi"}, headers=headers)
        assert refused.status_code == 503 and "database is unavailable" in refused.json()["error"]["message"]

    assert eventually(lambda: metered(database) == 1 + answered, within=30)  # nothing lost
    assert api.post("/chat/completions", json=call).status_code == 200
    assert eventually(lambda: metered(database) == 2 + answered)

"""`agora serve --workers 2`: a provider added while it runs reaches every worker, no restart."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import make_key
from tests.chat.conftest import eventually
from tests.conftest import start_agora, stop_agora, worker_pids
from tests.providers.admin_helpers import API_KEY, store_provider

pytestmark = pytest.mark.slow


def test_every_worker_offers_a_provider_added_behind_its_back(server, database, tmp_path, upstream):
    process, url, log = start_agora(tmp_path, database_url=server.settings.resolved_database_url())
    try:
        # Fresh connections, so that either worker may answer each request.
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {make_key(database)}"}, timeout=30,
                              limits=httpx.Limits(max_keepalive_connections=0))

        def offered() -> set[str]:
            return {model["id"] for model in client.get("/v1/models").json()["data"]}

        for _ in range(10):  # both workers build their catalogs before the change
            assert "standin-db" not in offered()
        # Straight into the database, as another machine's admin page would: no worker is told.
        store_provider(database, upstream.base_url, secret=(tmp_path / "secret_key").read_text().strip())
        assert eventually(lambda: all("standin-db" in offered() for _ in range(10)), within=20)
        assert len(worker_pids(log, "GET /v1/models")) == 2, "requests should have reached both workers"

        reply = client.post("/v1/chat/completions", json={"model": "standin-db", "messages": [{"role": "user", "content": "Hi"}]})
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"] == "Hello from the stand-in."
        assert upstream.authorizations[-1] == f"Bearer {API_KEY}"  # decrypted by the server's own secret key
    finally:
        stop_agora(process)

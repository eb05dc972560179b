"""Action fixtures: the stand-in trails API on loopback, let through the outbound guard for the test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.actions.trails_api import TrailsApi


@pytest.fixture(scope="session")
def trails_server() -> TrailsApi:
    return TrailsApi().start()


@pytest.fixture
def trails(trails_server: TrailsApi, server) -> Iterator[TrailsApi]:
    """The trails API, its address allowed by AGORA_OUTBOUND_ALLOW_HOSTS and its port by AGORA_OUTBOUND_PORTS (both refused otherwise)."""
    trails_server.requests.clear()
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"outbound_allow_hosts": "127.0.0.1", "outbound_ports": "*"})
    yield trails_server
    server.app.state.settings = before

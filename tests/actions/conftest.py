"""Action fixtures: the stand-in trails API on loopback, let through the outbound guard for the test server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.actions.oauth_server import OAuthServer
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


@pytest.fixture(scope="session")
def oauth_server_running() -> Iterator[OAuthServer]:
    running = OAuthServer().start()
    yield running
    running.stop()


@pytest.fixture
def notes(oauth_server_running: OAuthServer, server) -> Iterator[OAuthServer]:
    """The authorization server and its notes API, on loopback: allowed through the guard, its client registered with
    this Agora's callback (the redirect URL a builder registers)."""
    oauth_server_running.configure(redirect_uri=f"{server.settings.resolved_public_url()}/actions/oauth/callback")
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"outbound_allow_hosts": "127.0.0.1", "outbound_ports": "*"})
    yield oauth_server_running
    server.app.state.settings = before

"""Fixtures for single sign-on: a real OpenID provider on loopback, and a team that signs in through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agora.db import utcnow
from agora.sso.models import WorkspaceDomain
from tests.billing.conftest import put_on_plan, signed_up
from tests.chat.conftest import ChatClient
from tests.sso.idp import Idp


@pytest.fixture
def idp(server) -> Iterator[Idp]:
    provider = Idp()
    yield provider
    provider.stop()
    server.app.state.caches.sso.clear()  # the next test's provider listens elsewhere


def verified_domain(database, team_id: int, domain: str) -> None:
    """A domain the team proved (the proof itself: test_settings.py)."""
    with database.session() as session:
        session.add(WorkspaceDomain(workspace_id=team_id, domain=domain, token="t", verified_domain=domain, verified_at=utcnow()))


def provider_form(idp: Idp, **changes) -> dict:
    return {"slug": "acme", "name": "Acme login", "issuer": idp.issuer, "client_id": "agora", "client_secret": "s3cret",
            "scopes": "openid email profile", "groups_claim": "groups", "group_roles": "Agora Admins = admin", "enabled": "on", **changes}


def team_with_sso(make_browser, database, idp: Idp, *, domain: str = "acme.example.com", seats: int = 5, **changes) -> tuple[ChatClient, int]:
    """A team on the Team plan whose owner verified `domain` and set up single sign-on through `idp`."""
    owner = signed_up(make_browser, f"owner@{domain}")
    team_id = owner.browser.post("/api/workspaces", json={"name": "Acme"}, headers=owner.headers).json()["id"]
    put_on_plan(database, f"owner@{domain}", "team", seats=seats)
    verified_domain(database, team_id, domain)
    saved = owner.browser.submit(f"/workspaces/{team_id}/sso", provider_form(idp, **changes))
    assert saved.status_code == 303, saved.text
    return owner, team_id

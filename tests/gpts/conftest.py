"""Helpers for the builder tests: signed-in clients and GPTs made through the API."""

from __future__ import annotations

import pytest

from agora.accounts.models import Membership, User
from agora.accounts.service import personal_workspace_id


class Builder:
    """A signed-in browser with its CSRF header, making API calls like the pages' scripts."""

    def __init__(self, client, email: str, name: str) -> None:
        self.client = client
        assert client.signup(email=email, name=name).status_code == 303
        self.headers = client.api_headers()
        self.email = email

    def create(self, **fields) -> str:
        response = self.client.post("/api/gpts", json={"name": "Helper", **fields}, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def publish(self, gpt_id: str, note: str = "") -> int:
        response = self.client.post(f"/api/gpts/{gpt_id}/publish", json={"note": note}, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["version"]

    def patch(self, gpt_id: str, **fields):
        return self.client.patch(f"/api/gpts/{gpt_id}", json=fields, headers=self.headers)

    def post(self, path: str, *, headers: dict | None = None, **kwargs):
        return self.client.post(path, headers={**self.headers, **(headers or {})}, **kwargs)


@pytest.fixture
def make_builder(make_browser):
    def factory(email: str = "ada@example.com", name: str = "Ada") -> Builder:
        return Builder(make_browser(), email, name)

    return factory


def join_workspace(database, *, member_email: str, owner_email: str, role: str = "member") -> None:
    """Add a user to another user's workspace (team workspaces have no UI yet)."""
    with database.session() as session:
        owner = session.query(User).filter_by(email=owner_email).one()
        member = session.query(User).filter_by(email=member_email).one()
        session.add(Membership(workspace_id=personal_workspace_id(session, owner), user_id=member.id, role=role))

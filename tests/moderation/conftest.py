"""Helpers for moderation tests: the review mode of the test server, builders, moderators, the store's search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agora.accounts.models import User
from agora.db import utcnow
from agora.moderation.models import Moderator
from agora.store.models import BuilderDomain
from tests.gpts.conftest import Builder

INSTRUCTIONS = ("You are a meticulous travel planner. Ask the traveller where they start, where they want to go, their budget, "
                "the dates, how they like to move and what they enjoy, then propose a day by day plan with transport, "
                "food and two alternatives for rainy days, and keep every answer under three hundred words.")


@pytest.fixture
def review_mode(server, monkeypatch):
    """Set the running app's review mode for one test (the suite runs with it off: tests/conftest.py)."""

    def set_mode(mode: str, **more) -> None:
        for name, value in {"moderation_review": mode, **more}.items():
            monkeypatch.setattr(server.app.state.settings, name, value)

    set_mode("new_builders")
    return set_mode


@pytest.fixture
def make_builder(make_browser):
    def factory(email: str = "ada@example.com", name: str = "Ada") -> Builder:
        return Builder(make_browser(), email, name)

    return factory


def make_moderator(database, email: str) -> None:
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.add(Moderator(user_id=user.id))


def verify_domain(database, email: str, domain: str) -> None:
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        session.add(BuilderDomain(user_id=user.id, domain=domain, token="t" * 32, verified_at=utcnow()))


def in_store(client, name: str) -> bool:
    items = client.get("/api/store/search", params={"q": name}).json()["items"]
    return any(item["name"] == name for item in items)


def publish_public(builder: Builder, name: str, **fields) -> str:
    gpt_id = builder.create(name=name, visibility="public", description=f"{name} for everyone", **fields)
    builder.publish(gpt_id)
    return gpt_id


def review(builder: Builder, gpt_id: str) -> dict:
    response = builder.client.get(f"/api/gpts/{gpt_id}")
    assert response.status_code == 200, response.text
    return response.json()["review"]

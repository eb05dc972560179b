"""/v1 fixtures: the app talks to the stand-in OpenAI-compatible server; clients are the official `openai` SDK."""

from __future__ import annotations

import os
from collections.abc import Iterator

import openai
import pytest

from agora.accounts import api_keys
from agora.accounts import service as accounts
from agora.metering.models import UsageRecord
from agora.providers import registry
from agora.ratelimit.local import LocalLimiter
from tests.chat.conftest import SECRET_INSTRUCTIONS, make_gpt  # noqa: F401  (re-exported for the tests)
from tests.providers.standin import StandIn

REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL")


@pytest.fixture(scope="session")
def standin_server() -> StandIn:
    return StandIn().start_in_thread()


def use_settings(server, **changes) -> None:
    settings = server.app.state.settings.model_copy(update=changes)
    server.app.state.settings = settings
    server.app.state.chat_provider = registry.create(settings.chat_provider, settings)


@pytest.fixture
def upstream(standin_server: StandIn, server) -> Iterator[StandIn]:
    standin_server.reset()
    use_settings(
        server, chat_provider="openai", openai_base_url=standin_server.base_url, openai_models="standin,other",
        openai_timeout_seconds=2.0, openai_max_retries=0, openai_context_tokens=1200, chat_max_reply_tokens=200,
    )
    server.app.state.api_limiter = LocalLimiter()
    yield standin_server
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None
    server.app.state.api_limiter = None


def make_key(database, email: str = "dev@example.com", *, scopes=api_keys.SCOPES, expires_at=None, name: str = "test") -> str:
    with database.session() as session:
        user = accounts.user_by_email(session, email) or accounts.create_user(session, email=email, display_name="Dev", password=None)
        _key, raw = api_keys.create(session, user=user, name=name, scopes=scopes, expires_at=expires_at)
        return raw


@pytest.fixture
def key(database) -> str:
    return make_key(database)


@pytest.fixture
def client(server, key) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=20) as sdk:
        yield sdk


def usage_records(database) -> list[UsageRecord]:
    with database.session() as session:
        return list(session.query(UsageRecord).order_by(UsageRecord.id))

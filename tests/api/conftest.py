"""/v1 fixtures: the app talks to the stand-in OpenAI-compatible server; clients are the official `openai` SDK.

Keys belong to users on Plus unless a test says otherwise: /v1 needs a plan with API access.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import openai
import pytest

from agora.accounts import api_keys
from agora.accounts import service as accounts
from agora.billing import plans
from agora.billing.cli import apply_plan
from agora.metering.models import UsageRecord
from agora.providers import registry
from agora.ratelimit.local import LocalLimiter
from tests.chat.conftest import SECRET_INSTRUCTIONS, make_gpt  # noqa: F401  (re-exported for the tests)
from tests.conftest import flush_usage
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
    server.app.state.caches.clear()  # each test starts with no plan nor caller remembered for any key
    yield standin_server
    flush_usage(server.database)  # this test's usage, before the next test empties the database
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None
    server.app.state.api_limiter = None


def make_key(database, email: str = "dev@example.com", *, scopes=api_keys.SCOPES, expires_at=None, name: str = "test",
             plan: str | None = "plus") -> str:
    """A key for `email` (created without a password, so no sign-up trial), its owner put on `plan` (None: Free)."""
    with database.session() as session:
        user = accounts.user_by_email(session, email) or accounts.create_user(session, email=email, display_name="Dev", password=None)
        if plan is not None:
            apply_plan(session, user, plan, seats=None)
        _key, raw = api_keys.create(session, user=user, name=name, scopes=scopes, expires_at=expires_at)
        return raw


def set_plan_entitlements(database, plan: str, **entitlements) -> None:
    """What an admin does on the plans page: e.g. `api_requests_per_minute=3`."""
    with database.session() as session:
        plans.edit_plan(session, plan, entitlements_patch=entitlements)


@pytest.fixture
def key(database) -> str:
    return make_key(database)


@pytest.fixture
def client(server, key) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=20) as sdk:
        yield sdk


def usage_records(database) -> list[UsageRecord]:
    flush_usage(database)  # /v1 queues its usage for a background writer: write what is queued first
    with database.session() as session:
        return list(session.query(UsageRecord).order_by(UsageRecord.id))

"""Chat fixtures: the app talks to the stand-in OpenAI-compatible server, or to the real local model.

The provider is built from Settings through the entry-point registry, exactly as the app
builds it, and installed on the running test server's app.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.providers import registry
from tests.providers.standin import StandIn

SECRET_INSTRUCTIONS = "Secret recipe: always mention the purple walrus."


@pytest.fixture(scope="session")
def standin_server() -> StandIn:
    return StandIn().start_in_thread()


@pytest.fixture
def upstream(standin_server: StandIn, server) -> Iterator[StandIn]:
    standin_server.reset()
    settings = server.settings.model_copy(
        update={"chat_provider": "openai", "openai_base_url": standin_server.base_url, "openai_models": "standin,other",
                "openai_timeout_seconds": 2.0, "openai_max_retries": 0, "openai_context_tokens": 1200, "chat_max_reply_tokens": 200}
    )
    server.app.state.settings = settings
    server.app.state.chat_provider = registry.create(settings.chat_provider, settings)
    yield standin_server
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None


@pytest.fixture
def local_model(server) -> Iterator[None]:
    settings = server.settings.model_copy(update={"chat_provider": "local", "local_context_tokens": 2048, "chat_max_reply_tokens": 12})
    server.app.state.settings = settings
    server.app.state.chat_provider = registry.create("local", settings)
    yield
    server.app.state.settings = server.settings
    server.app.state.chat_provider = None


def make_gpt(database, *, name: str = "Walrus Helper", instructions: str = SECRET_INSTRUCTIONS, visibility: str = "public",
             starters: list[str] | None = None, welcome: str = "Hello, I help with walruses.", hide: bool = True, owner_email: str = "builder@example.com",
             capabilities: dict[str, bool] | None = None) -> str:
    with database.session() as session:
        owner = accounts.user_by_email(session, owner_email) or accounts.create_user(session, email=owner_email, display_name="Builder", password=None)
        content = GptContent(name=name, description=f"{name} describes things", instructions=instructions, welcome_message=welcome,
                             starters=starters or ["Tell me about walruses"], hide_instructions=hide, capabilities=capabilities or {})
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=content, visibility=visibility)
        gpts.publish(session, gpt, author=owner)
        return gpt.id


def sse_events(source) -> list[tuple[str, dict]]:
    """Parse SSE from a streamed response, or from the rest of its `iter_lines()` iterator."""
    events, name = [], None
    for line in source.iter_lines() if hasattr(source, "iter_lines") else source:
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: "):])))
    return events


class ChatClient:
    """A signed-in user's view of the chat API."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.headers = browser.api_headers()

    def start(self, gpt_id: str) -> str:
        response = self.browser.post("/api/conversations", json={"gpt_id": gpt_id}, headers=self.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def stream(self, path: str, body: dict | None = None):
        return self.browser.stream("POST", path, json=body or {}, headers=self.headers)

    def send(self, conversation_id: str, content: str, **extra) -> list[tuple[str, dict]]:
        with self.stream(f"/api/conversations/{conversation_id}/messages", {"content": content, **extra}) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            return sse_events(response)

    def get(self, conversation_id: str) -> dict:
        return self.browser.get(f"/api/conversations/{conversation_id}").json()


@pytest.fixture
def chat(browser) -> ChatClient:
    browser.signup()
    return ChatClient(browser)


def eventually(condition, *, within: float = 10.0) -> bool:
    """Poll until true: for effects that land in another thread or process (never a timing assertion)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()

"""The `openai` moderation provider against a stand-in server speaking OpenAI's /v1/moderations."""

from __future__ import annotations

import pytest

from agora.config import Settings
from agora.moderation.providers import ProviderUnavailable, provider_for
from agora.moderation.providers.openai_compat import OpenAIModeration
from tests.conftest import free_port
from tests.moderation.standin import StandIn


@pytest.fixture
def standin():
    server = StandIn()
    yield server
    server.close()


def test_it_sends_every_text_with_the_model_and_key_and_reads_the_flagged_categories(standin):
    provider = provider_for(Settings(_env_file=None, moderation_provider="openai", moderation_base_url=standin.url,
                                     moderation_api_key="sk-test", moderation_model="omni-moderation-latest"))
    fine, bad = provider.screen(["Plans your trips", "a forbidden plan"])
    assert not fine.flagged
    assert bad.categories == {"violence": 0.97}
    [request] = standin.requests
    assert request["path"] == "/v1/moderations"
    assert request["body"] == {"model": "omni-moderation-latest", "input": ["Plans your trips", "a forbidden plan"]}
    assert request["authorization"] == "Bearer sk-test"


def test_a_server_that_fails_or_answers_another_shape_is_unavailable_not_a_pass():
    for server in (StandIn(status=503), StandIn(shape_ok=False)):
        try:
            with pytest.raises(ProviderUnavailable, match=server.url):
                OpenAIModeration(base_url=server.url, api_key=None, model="m", timeout=5).screen(["hello"])
        finally:
            server.close()
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        OpenAIModeration(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key=None, model="m", timeout=2).screen(["hello"])


def test_an_unknown_provider_name_says_which_are_installed():
    with pytest.raises(LookupError, match="builtin, openai"):
        provider_for(Settings(_env_file=None, moderation_provider="nope"))

"""The demo GPTs that act through OpenAPI actions: the paper finder (OpenAlex) and the weather GPT (Open-Meteo) are
seeded with documents naming the real public servers, and their calls go out as those APIs expect (against a loopback
stand-in speaking them, tests/demo/public_apis.py), here through /v1 with the official `openai` SDK, where nobody is
asked and non-consequential calls run on Agora's side."""

from __future__ import annotations

import json

import openai
import pytest

from agora.actions import service as actions
from agora.demo.acting import PAPER_FINDER, WEATHER, Servers, seed_acting
from agora.demo.apis import WORK_FIELDS
from agora.demo.seed import LABS_EMAIL
from agora.gpts.models import Gpt
from agora.providers import registry
from tests.api.conftest import make_key, standin_server, upstream  # noqa: F401 (fixtures)
from tests.demo.public_apis import PublicApis


@pytest.fixture
def public_apis(upstream, server):  # noqa: F811
    """The stand-in OpenAlex and Open-Meteo on loopback, let through the outbound guard as an on-premises API would be."""
    standin = PublicApis()
    before = server.app.state.settings
    server.app.state.settings = before.model_copy(update={"outbound_allow_hosts": "127.0.0.1", "outbound_ports": "*",
                                                          "openai_context_tokens": 8000})
    server.app.state.chat_provider = registry.create("openai", server.app.state.settings)
    yield standin
    server.app.state.settings = before
    standin.close()


def test_the_demo_actions_name_the_real_public_apis(database):
    with database.session() as session:
        seed_acting(session, builder_email=LABS_EMAIL)
    with database.session() as session:
        operations = {}
        for acting in (PAPER_FINDER, WEATHER):
            gpt = session.query(Gpt).filter_by(source=acting.source).one()
            assert gpt.published_version == 1 and gpt.visibility == "public"
            for action in actions.of_gpt(session, gpt.id):
                assert action.privacy_url.startswith("https://") and action.auth_type == "none"
                operations |= {o["operation_id"]: (o["method"], o["server"] + o["path"], o["consequential"]) for o in action.operations}
    assert operations == {"searchWorks": ("GET", "https://api.openalex.org/works", False),
                          "searchLocation": ("GET", "https://geocoding-api.open-meteo.com/v1/search", False),
                          "getForecast": ("GET", "https://api.open-meteo.com/v1/forecast", False)}


def test_the_paper_finder_and_the_weather_gpt_call_their_apis(database, upstream, public_apis, server):  # noqa: F811
    url = public_apis.url
    with database.session() as session:
        seed_acting(session, builder_email=LABS_EMAIL, servers=Servers(openalex=url, open_meteo=url, open_meteo_geocoding=url))
        papers, weather = (session.query(Gpt).filter_by(source=a.source).one().id for a in (PAPER_FINDER, WEATHER))
    key = make_key(database, "reader@example.com")

    upstream.tool_calls = [("searchWorks", json.dumps({"search": "open access prevalence", "sort": "cited_by_count:desc", "per_page": 5,
                                                       "select": WORK_FIELDS}))]
    upstream.next("tool_calls", "ok")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30) as client:
        reply = client.chat.completions.create(model=papers, messages=[{"role": "user", "content": "The most cited papers on open access"}])
    assert reply.choices[0].message.content == "Hello from the stand-in."  # the model's answer, after the call ran on Agora's side
    path, query, headers = public_apis.requests[-1]
    assert path == "/works" and query == {"search": ["open access prevalence"], "sort": ["cited_by_count:desc"], "per_page": ["5"],
                                          "select": [WORK_FIELDS]}
    [result] = [m["content"] for m in upstream.requests[-1]["messages"] if m["role"] == "tool"]
    assert "https://doi.org/10.7717/peerj.4375" in result and "Heather Piwowar" in result
    assert "abstract_inverted_index" not in result  # `select` kept the answer to the fields a reply needs

    upstream.tool_calls = [("searchLocation", '{"name": "Chamonix", "count": 1}'),
                           ("getForecast", json.dumps({"latitude": 45.92375, "longitude": 6.86933, "timezone": "auto",
                                                       "current": "temperature_2m,weather_code",
                                                       "daily": "temperature_2m_max,temperature_2m_min,precipitation_sum"}))]
    upstream.next("tool_calls", "ok")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30) as client:
        client.chat.completions.create(model=weather, messages=[{"role": "user", "content": "Weather in Chamonix?"}])
    assert [(p, q.get("name") or q.get("latitude")) for p, q, _ in public_apis.requests[-2:]] == [
        ("/v1/search", ["Chamonix"]), ("/v1/forecast", ["45.92375"])]
    found, forecast = [m["content"] for m in upstream.requests[-1]["messages"] if m["role"] == "tool"]
    assert "Chamonix-Mont-Blanc" in found and "45.92375" in found
    assert "temperature_2m_max" in forecast and "°C" in forecast and "Europe/Paris" in forecast

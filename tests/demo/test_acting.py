"""The demo GPTs that act: seeded once, published, and the trail helper really routes through the maps tools
(against loopback stand-ins speaking Nominatim's and OSRM's API)."""

from __future__ import annotations

import pytest

from agora.demo.acting import ACTING, TRAIL_HELPER, seed_acting
from agora.demo.seed import LABS_EMAIL
from agora.gpts.models import Gpt
from agora.providers import registry
from tests.chat.conftest import chat, standin_server, upstream  # noqa: F401 (fixtures)
from tests.tools.standins import Standin


@pytest.fixture
def maps(upstream, server):  # noqa: F811
    standin = Standin()
    server.app.state.settings = server.app.state.settings.model_copy(update={
        "maps_geocoder_url": f"{standin.url}/nominatim", "maps_router_url": f"{standin.url}/osrm", "openai_context_tokens": 4000})
    server.app.state.chat_provider = registry.create("openai", server.app.state.settings)
    yield standin
    standin.close()


def test_the_trail_helper_plans_a_walk_with_the_maps_tools(database, chat, upstream, maps):  # noqa: F811
    with database.session() as session:
        assert seed_acting(session, builder_email=LABS_EMAIL) == len(ACTING)
    with database.session() as session:
        assert seed_acting(session, builder_email=LABS_EMAIL) == 0  # once
        gpt = session.query(Gpt).filter_by(source=TRAIL_HELPER.source).one()
        gpt_id, published = gpt.id, gpt.published_version
    assert published == 1

    upstream.tool_calls = [("route", '{"start": "Louvre", "end": "Tour Eiffel", "mode": "walking"}')]
    upstream.next("tool_calls", "ok")
    conversation = chat.start(gpt_id)
    events = chat.send(conversation, "How long is the walk from the Louvre to the Eiffel Tower?")
    tools = [data for name, data in events if name == "tool"]
    assert tools[0]["line"] == "Used Route: Musée du Louvre → Tour Eiffel: 4.3 km, 12 min"
    assert tools[0]["sources"][0]["url"].startswith("https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=48.861147")
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    offered = [tool["function"]["name"] for tool in upstream.requests[0]["tools"]]
    assert offered == ["find_place", "place_at", "route"]  # web search is not configured here: not offered
    assert "call route with mode walking" in upstream.requests[0]["messages"][0]["content"]
    stored = chat.get(conversation)["messages"][-1]
    assert stored["tool_uses"][0]["sources"][0]["title"] == "The route on OpenStreetMap"

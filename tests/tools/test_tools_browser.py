"""In real Chromium: a GPT with web search and maps answers with the pages and the map it used listed as links, while the
reply streams and after a reload; the editor shows those checkboxes only once the operator named the services."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agora.providers import registry
from tests.chat.conftest import make_gpt
from tests.conftest import sign_up_in_chromium
from tests.tools.standins import Standin

pytestmark = pytest.mark.browser


@pytest.fixture
def services(upstream, server):
    standin = Standin()
    server.app.state.settings = server.app.state.settings.model_copy(update={
        "web_search_backend": "searxng", "web_search_url": f"{standin.url}/searxng",
        "maps_geocoder_url": f"{standin.url}/nominatim", "maps_router_url": f"{standin.url}/osrm", "openai_context_tokens": 4000})
    # The stand-in model's window, made roomier: two tools' results and their definitions must fit.
    server.app.state.chat_provider = registry.create("openai", server.app.state.settings)
    yield standin
    standin.close()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_search_results_and_a_route_are_shown_as_links(page, upstream, services, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = make_gpt(database, name="Walrus Scout", capabilities={"web_search": True, "maps": True})
    sign_up_in_chromium(page)
    page.goto(f"/g/{gpt_id}")
    upstream.tool_calls = [("web_search", '{"query": "walrus tusks"}'),
                           ("route", '{"start": "Tour Eiffel", "end": "Louvre", "mode": "walking"}')]
    upstream.next("tool_calls", "ok")
    page.get_by_role("button", name="Tell me about walruses").click()
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)
    for shown in (reply, page.locator(".message.assistant").last):
        expect(shown.locator(".tool-use")).to_have_text(["Used Web search: “walrus tusks”: 2 results",
                                                         "Used Route: Tour Eiffel → Musée du Louvre: 4.3 km, 12 min"])
        links = shown.locator(".tool-links a")
        expect(links).to_have_text(["Walrus - Wikipedia", "Walrus | Species | WWF", "The route on OpenStreetMap"])
        expect(links.first).to_have_attribute("href", "https://en.wikipedia.org/wiki/Walrus")
        expect(links.first).to_have_attribute("rel", "nofollow noopener noreferrer ugc")
        box = links.last.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        page.reload()
    tool_names = [tool["function"]["name"] for tool in upstream.requests[0]["tools"]]
    assert tool_names == ["web_search", "find_place", "place_at", "route"]
    results = [m["content"] for m in upstream.requests[1]["messages"] if m["role"] == "tool"]
    assert "URL: https://en.wikipedia.org/wiki/Walrus" in results[0] and "openstreetmap.org/directions" in results[1]


def test_the_editor_offers_web_search_and_maps_only_when_configured(page, upstream, server, database):
    sign_up_in_chromium(page)
    page.goto("/gpts/new")
    expect(page.get_by_label("Web search")).to_have_count(0)
    expect(page.get_by_label("Maps")).to_have_count(0)
    server.app.state.settings = server.app.state.settings.model_copy(update={"page_reading": True, "maps_geocoder_url": "http://geo.example"})
    page.reload()
    expect(page.get_by_label("Web search")).to_have_count(1)
    expect(page.get_by_label("Maps")).to_have_count(1)

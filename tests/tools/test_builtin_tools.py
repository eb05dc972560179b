"""The built-in tools against a loopback server speaking each service's real API: web search (SearxNG, Brave), page reading
(through the outbound guard), maps (Nominatim, OSRM); and which tools a GPT gets from its capabilities and the settings."""

from __future__ import annotations

import asyncio
import json

import pytest

from agora.config import Settings
from agora.gpts.content import GptContent
from agora.tools import builtin
from agora.tools.base import ToolContext, ToolOwner
from agora.tools.maps import FindPlace, PlaceAt, Route
from agora.tools.reader import ReadPage
from agora.tools.runner import ToolUse, run_call
from agora.tools.web_search import WebSearch
from tests.tools.standins import Standin

CONTEXT = ToolContext(user_id=1, gpt_id="g-1", conversation_id=None, language="en", timezone="UTC")


@pytest.fixture(scope="module")
def standin():
    server = Standin()
    yield server
    server.close()


def settings(**overrides: object) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[arg-type]


def call(tool, **arguments: object) -> ToolUse:
    return asyncio.run(run_call(tool, call_id="call-1", arguments=json.dumps(arguments), context=CONTEXT))


def test_searxng_results_become_numbered_citable_links(standin):
    tool = WebSearch(settings(web_search_backend="searxng", web_search_url=f"{standin.url}/searxng/"))
    use = call(tool, query="  walrus   tusks ")
    assert use.ok and use.summary == "“walrus tusks”: 2 results"
    assert "[1] Walrus - Wikipedia\nURL: https://en.wikipedia.org/wiki/Walrus\nThe walrus (Odobenus rosmarus)" in use.content
    assert "tusks & whiskers" in use.content and "magnet:" not in use.content  # entities decoded; a result without a web address left out
    assert use.shown()["sources"] == [{"title": "Walrus - Wikipedia", "url": "https://en.wikipedia.org/wiki/Walrus"},
                                      {"title": "Walrus | Species | WWF", "url": "https://www.worldwildlife.org/species/walrus"}]
    path, query, headers = standin.requests[-1]
    assert path == "/searxng/search" and query["q"] == ["walrus tusks"] and query["format"] == ["json"] and query["language"] == ["en"]
    assert headers["User-Agent"].startswith("Agora/")
    assert call(tool, query="nothing at all").summary == "no results for “nothing at all”"
    assert not call(tool, query="").ok


def test_a_searxng_without_json_says_how_to_turn_it_on(standin):
    use = call(WebSearch(settings(web_search_backend="searxng", web_search_url=f"{standin.url}/searxng-html-only")), query="walrus")
    assert not use.ok and "json to search.formats" in use.summary


def test_brave_results_and_a_bad_token(standin):
    good = settings(web_search_backend="brave", web_search_api_key="brave-key", web_search_url=f"{standin.url}/brave/res/v1/web/search")
    use = call(WebSearch(good), query="walrus tusks")
    assert use.ok and "The walrus uses its tusks to haul out of the water." in use.content  # <strong> marks removed
    assert use.shown()["sources"] == [{"title": "Walrus - Wikipedia", "url": "https://en.wikipedia.org/wiki/Walrus"}]
    path, query, headers = standin.requests[-1]
    assert query["count"] == ["5"] and query["search_lang"] == ["en"] and headers["X-Subscription-Token"] == "brave-key"
    bad = call(WebSearch(good.model_copy(update={"web_search_api_key": "wrong"})), query="walrus")
    assert not bad.ok and bad.summary == "Brave Search answered HTTP 422: The provided subscription token is invalid."


def test_settings_refuse_a_backend_without_its_address_or_key():
    with pytest.raises(ValueError, match="AGORA_WEB_SEARCH_URL"):
        settings(web_search_backend="searxng")
    with pytest.raises(ValueError, match="AGORA_WEB_SEARCH_API_KEY"):
        settings(web_search_backend="brave")


def test_reading_a_page_keeps_its_main_text(standin):
    reader = ReadPage(settings(outbound_allow_hosts="127.0.0.1"))
    use = call(reader, url=f"{standin.url}/pages/walrus.html")
    assert use.ok and use.summary == f"Walrus facts ({standin.url}/pages/walrus.html)"
    assert "tusks grow up to a metre long" in use.content and "Subscribe to our newsletter" not in use.content
    assert "Cookie settings" not in use.content
    assert use.shown()["sources"] == [{"title": "Walrus facts", "url": f"{standin.url}/pages/walrus.html"}]
    assert call(reader, url=f"{standin.url}/pages/notes.txt").content.endswith("Plain notes about walruses.")
    pdf = call(reader, url=f"{standin.url}/pages/report.pdf")
    assert not pdf.ok and "application/pdf" in pdf.summary
    assert "no text" in call(reader, url=f"{standin.url}/pages/empty.html").summary
    assert "HTTP 404" in call(reader, url=f"{standin.url}/pages/missing.html").summary


def test_page_reading_goes_through_the_guard(standin):
    refused = call(ReadPage(settings(outbound_ports="*")), url=f"{standin.url}/pages/walrus.html")
    assert not refused.ok and "loopback" in refused.summary  # not allowlisted: this machine is never read
    redirected = call(ReadPage(settings(outbound_allow_hosts="127.0.0.1")), url=f"{standin.url}/pages/to-metadata")
    assert not redirected.ok and "169.254.169.254" in redirected.summary
    narrowed = call(ReadPage(settings(outbound_allow_hosts="127.0.0.1"), workspace_domains=("example.org",)), url=f"{standin.url}/pages/walrus.html")
    assert not narrowed.ok and "example.org" in narrowed.summary
    assert not call(ReadPage(settings()), url="file:///etc/passwd").ok


def test_maps_find_a_place_name_coordinates_and_route(standin):
    maps = settings(maps_geocoder_url=f"{standin.url}/nominatim", maps_router_url=f"{standin.url}/osrm")
    found = call(FindPlace(maps), query="Tour Eiffel")
    assert found.ok and "Coordinates: 48.85826, 2.29450" in found.content
    assert "https://www.openstreetmap.org/?mlat=48.858260&mlon=2.294501#map=15/48.858260/2.294501" in found.content
    assert standin.requests[-1][1]["format"] == ["jsonv2"] and standin.requests[-1][1]["accept-language"] == ["en"]
    assert call(FindPlace(maps), query="Atlantis").summary == "no place called “Atlantis”"

    named = call(PlaceAt(maps), latitude=48.8583, longitude="2.2945")
    assert named.ok and named.summary.startswith("Tour Eiffel, 5, Avenue Anatole France")
    assert "no address" in call(PlaceAt(maps), latitude=0.1, longitude=0.2).summary
    assert not call(PlaceAt(maps), latitude=91, longitude=0).ok and not call(PlaceAt(maps), latitude=True, longitude=0).ok

    route = call(Route(maps), start="Tour Eiffel", end="Louvre", mode="walking")
    assert route.ok and route.summary == "Tour Eiffel → Musée du Louvre: 4.3 km, 12 min"
    assert "engine=fossgis_osrm_foot&route=48.858260%2C2.294501%3B48.861147%2C2.338028" in route.content
    assert standin.requests[-1][0] == "/osrm/route/v1/walking/2.294501,48.858260;2.338028,48.861147"  # longitude first
    by_coordinates = call(Route(maps), start="48.8583, 2.2945", end="Louvre")
    assert by_coordinates.ok and standin.requests[-1][0].startswith("/osrm/route/v1/driving/2.294500,48.858300;")
    no_route = call(Route(maps), start="Tour Eiffel", end="Louvre", mode="cycling")
    assert not no_route.ok and "Impossible route between points" in no_route.summary
    assert "No place called “Atlantis”" in call(Route(maps), start="Atlantis", end="Louvre").summary
    assert not call(Route(maps), start="Tour Eiffel", end="Louvre", mode="teleport").ok


def test_a_gpt_gets_the_tools_its_capabilities_and_the_operator_allow():
    content = GptContent(name="Explorer", capabilities={"web_search": True, "maps": True, "calculator": True})
    names = lambda s: [t.name for t in builtin.tools_of(None, ToolOwner("g-1", content, s))]  # noqa: E731
    assert names(settings()) == ["calculator"]  # nothing configured: the flags do nothing, and the editor hides them
    full = settings(web_search_backend="searxng", web_search_url="http://search.internal", page_reading=True,
                    maps_geocoder_url="http://geo.internal", maps_router_url="http://osrm.internal")
    assert names(full) == ["calculator", "web_search", "read_page", "find_place", "place_at", "route"]
    assert names(full.model_copy(update={"maps_router_url": "", "web_search_backend": ""})) == ["calculator", "read_page", "find_place", "place_at"]
    plain = GptContent(name="Plain")
    assert [t.name for t in builtin.tools_of(None, ToolOwner("g-1", plain, full))] == []
    assert full.offers_web_search() and full.offers_maps() and not settings().offers_web_search() and not settings().offers_maps()

"""One loopback server speaking the APIs the built-in tools call, in their real shapes (recorded from SearxNG 2024.x's
/search?format=json, Brave Search API v1's /res/v1/web/search, Nominatim 4.x's /search and /reverse with format=jsonv2,
OSRM 5.x's /route/v1), plus a few web pages to read. It records every request it gets."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

from tests.conftest import free_port

SEARXNG_ANSWER = {
    "query": "walrus tusks", "number_of_results": 0,
    "results": [
        {"url": "https://en.wikipedia.org/wiki/Walrus", "title": "Walrus - Wikipedia",
         "content": "The walrus (Odobenus rosmarus) is a large pinniped marine mammal with discontinuous distribution about the North Pole.",
         "engine": "wikipedia", "parsed_url": ["https", "en.wikipedia.org", "/wiki/Walrus", "", "", ""], "template": "default.html",
         "engines": ["wikipedia", "duckduckgo"], "positions": [1, 2], "publishedDate": None, "score": 4.0, "category": "general"},
        {"url": "https://www.worldwildlife.org/species/walrus", "title": "Walrus | Species | WWF",
         "content": "Walruses use their tusks &amp; whiskers to find food on the sea floor.", "engine": "duckduckgo",
         "parsed_url": ["https", "www.worldwildlife.org", "/species/walrus", "", "", ""], "template": "default.html",
         "engines": ["duckduckgo"], "positions": [3], "publishedDate": None, "score": 1.0, "category": "general"},
        {"url": "magnet:?xt=urn:btih:0000", "title": "not a web page", "content": "", "engine": "torrent", "template": "torrent.html"},
    ],
    "answers": [], "corrections": [], "infoboxes": [], "suggestions": ["walrus tusks length"], "unresponsive_engines": [],
}
BRAVE_ANSWER = {
    "type": "search",
    "query": {"original": "walrus tusks", "show_strict_warning": False, "is_navigational": False, "is_news_breaking": False,
              "spellcheck_off": True, "country": "us", "bad_results": False, "should_fallback": False, "postal_code": "", "city": "",
              "header_country": "", "more_results_available": True, "state": ""},
    "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": False}], "top": [], "side": []},
    "web": {"type": "search", "family_friendly": True, "results": [
        {"title": "Walrus - Wikipedia", "url": "https://en.wikipedia.org/wiki/Walrus", "is_source_local": False, "is_source_both": False,
         "description": "The <strong>walrus</strong> uses its <strong>tusks</strong> to haul out of the water.",
         "page_age": "2024-11-02T10:11:12", "profile": {"name": "Wikipedia", "url": "https://en.wikipedia.org/wiki/Walrus",
                                                        "long_name": "en.wikipedia.org", "img": "https://imgs.search.brave.com/x"},
         "language": "en", "family_friendly": True, "type": "search_result", "subtype": "generic", "is_live": False,
         "meta_url": {"scheme": "https", "netloc": "en.wikipedia.org", "hostname": "en.wikipedia.org", "favicon": "https://imgs.search.brave.com/y",
                      "path": "› wiki › Walrus"}, "age": "November 2, 2024"},
    ]},
}
BRAVE_BAD_TOKEN = {"type": "ErrorResponse", "error": {"id": "6b2e1a3c", "status": 422, "code": "SUBSCRIPTION_TOKEN_INVALID",
                                                       "detail": "The provided subscription token is invalid.", "meta": {"component": "authentication"}},
                   "time": 1733569200}
EIFFEL = {"place_id": 88066702, "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright", "osm_type": "way",
          "osm_id": 5013364, "lat": "48.8582599", "lon": "2.2945006", "category": "man_made", "type": "tower", "place_rank": 30,
          "importance": 0.6205937724353116, "addresstype": "man_made", "name": "Tour Eiffel",
          "display_name": "Tour Eiffel, 5, Avenue Anatole France, Quartier du Gros-Caillou, Paris 7e Arrondissement, Paris, Île-de-France, "
                          "France métropolitaine, 75007, France",
          "boundingbox": ["48.8574753", "48.8590453", "2.2933119", "2.2956897"]}
LOUVRE = {**EIFFEL, "place_id": 1, "osm_id": 2, "lat": "48.8611473", "lon": "2.3380277", "category": "tourism", "type": "museum",
          "name": "Musée du Louvre", "display_name": "Musée du Louvre, Rue de Rivoli, Paris, Île-de-France, France"}
REVERSE = {**EIFFEL, "address": {"man_made": "Tour Eiffel", "house_number": "5", "road": "Avenue Anatole France", "city": "Paris",
                                 "postcode": "75007", "country": "France", "country_code": "fr"}}
OSRM_ROUTE = {"code": "Ok", "routes": [{"geometry": "", "legs": [{"steps": [], "summary": "", "weight": 812.3, "duration": 745.1, "distance": 4312.8}],
                                        "weight_name": "routability", "weight": 812.3, "duration": 745.1, "distance": 4312.8}],
              "waypoints": [{"hint": "abc", "distance": 4.2, "name": "Avenue Anatole France", "location": [2.294501, 48.858259]},
                            {"hint": "def", "distance": 3.1, "name": "Rue de Rivoli", "location": [2.338028, 48.861147]}]}
OSRM_NO_ROUTE = {"code": "NoRoute", "message": "Impossible route between points"}
ARTICLE = ("<!doctype html><html><head><meta charset='utf-8'><title>Walrus facts</title></head><body>"
           "<nav><a href='/'>Home</a> | <a href='/about'>About us</a> | Subscribe to our newsletter</nav>"
           "<article><h1>Walrus facts</h1>" + "<p>Walruses live around the Arctic and use their tusks to climb onto the ice.</p>" * 3 +
           "<p>A male walrus can weigh about 1,500 kilograms, and its tusks grow up to a metre long.</p></article>"
           "<footer>Copyright 2024 Walrus Weekly. Cookie settings.</footer></body></html>")


class Standin:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                owner.requests.append((parts.path, query, dict(self.headers)))
                status, body, kind = owner.answer(parts.path, query, dict(self.headers))
                data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", data.decode())
                    data = b""
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, object, str]:
        json_type = "application/json"
        first = lambda key: (query.get(key) or [""])[0]  # noqa: E731
        if path == "/searxng/search":
            if first("format") != "json":
                return 403, "<html>403 Forbidden</html>", "text/html"
            return 200, (SEARXNG_ANSWER if first("q") != "nothing at all" else {**SEARXNG_ANSWER, "results": []}), json_type
        if path == "/searxng-html-only/search":
            return 403, "<html>403 Forbidden</html>", "text/html"
        if path == "/brave/res/v1/web/search":
            if headers.get("X-Subscription-Token") != "brave-key":
                return 422, BRAVE_BAD_TOKEN, json_type
            return 200, BRAVE_ANSWER, json_type
        if path == "/nominatim/search":
            found = {"tour eiffel": [EIFFEL], "louvre": [LOUVRE]}.get(first("q").lower(), [])
            return 200, found[: int(first("limit") or 10)], json_type
        if path == "/nominatim/reverse":
            if abs(float(first("lat"))) < 1 and abs(float(first("lon"))) < 1:
                return 200, {"error": "Unable to geocode"}, json_type
            return 200, REVERSE, json_type
        if path.startswith("/osrm/route/v1/"):
            profile, coordinates = path.removeprefix("/osrm/route/v1/").split("/", 1)
            if profile == "cycling":
                return 400, OSRM_NO_ROUTE, json_type
            return 200, OSRM_ROUTE, json_type
        if path == "/pages/walrus.html":
            return 200, ARTICLE, "text/html; charset=utf-8"
        if path == "/pages/notes.txt":
            return 200, "Plain notes about walruses.", "text/plain; charset=utf-8"
        if path == "/pages/report.pdf":
            return 200, b"%PDF-1.4 ...", "application/pdf"
        if path == "/pages/empty.html":
            return 200, "<html><body><script>render()</script></body></html>", "text/html"
        if path == "/pages/to-metadata":
            return 302, "http://169.254.169.254/latest/meta-data/", "text/plain"
        return 404, {"error": "not found"}, json_type

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

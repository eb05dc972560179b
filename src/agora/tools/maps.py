"""Maps: places found by name and named from coordinates through a Nominatim-compatible geocoder, routes with their
distance and duration through an OSRM-compatible router; every answer carries an OpenStreetMap link to check it on a map."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from agora.config import Settings
from agora.i18n import gettext as _
from agora.tools import services
from agora.tools.base import Link, ToolContext, ToolFailed, ToolResult

MAX_PLACE = 300
PLACES = 5
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")  # "45.83, 6.86": latitude, longitude
PROFILES = {"driving": "fossgis_osrm_car", "walking": "fossgis_osrm_foot", "cycling": "fossgis_osrm_bike"}  # OSRM -> openstreetmap.org


def map_link(lat: float, lon: float, zoom: int = 15) -> str:
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map={zoom}/{lat:.6f}/{lon:.6f}"


def route_link(profile: str, start: tuple[float, float], end: tuple[float, float]) -> str:
    route = quote(f"{start[0]:.6f},{start[1]:.6f};{end[0]:.6f},{end[1]:.6f}", safe="")
    return f"https://www.openstreetmap.org/directions?engine={PROFILES[profile]}&route={route}"


def _place_text(arguments: dict[str, Any], key: str) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ToolFailed(_("Give “%(field)s” as a place name or address, or as “latitude, longitude”.", field=key))
    return " ".join(value.split())[:MAX_PLACE]


def _coordinate(value: Any, low: float, high: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ToolFailed(_("Give %(field)s as a number between %(low)s and %(high)s.", field=field, low=low, high=high))
    try:
        number = float(value)
    except ValueError:
        raise ToolFailed(_("Give %(field)s as a number between %(low)s and %(high)s.", field=field, low=low, high=high)) from None
    if not low <= number <= high:
        raise ToolFailed(_("Give %(field)s as a number between %(low)s and %(high)s.", field=field, low=low, high=high))
    return number


class _Geocoder:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def search(self, query: str, language: str, limit: int = PLACES) -> list[dict[str, Any]]:
        url = self.settings.maps_geocoder_url.rstrip("/") + "/search"
        params = {"q": query, "format": "jsonv2", "limit": limit, "accept-language": language}
        found = await services.get_json(url, service=_("the geocoder"), settings=self.settings, params=params)
        if not isinstance(found, list):
            raise ToolFailed(_("The geocoder answered without a list of places."))
        return [place for place in found if isinstance(place, dict) and "lat" in place and "lon" in place]

    async def reverse(self, lat: float, lon: float, language: str) -> dict[str, Any] | None:
        url = self.settings.maps_geocoder_url.rstrip("/") + "/reverse"
        params = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "format": "jsonv2", "accept-language": language}
        found = await services.get_json(url, service=_("the geocoder"), settings=self.settings, params=params)
        if not isinstance(found, dict) or "error" in found or "lat" not in found:
            return None  # Nominatim answers {"error": "Unable to geocode"} for the open sea
        return found

    async def point(self, text: str, language: str) -> tuple[float, float, str]:
        """Latitude, longitude and name of a place given by name or as "lat, lon"."""
        match = COORDINATES.match(text)
        if match:
            lat = _coordinate(match.group(1), -90, 90, "latitude")
            lon = _coordinate(match.group(2), -180, 180, "longitude")
            return lat, lon, text
        places = await self.search(text, language, limit=1)
        if not places:
            raise ToolFailed(_("No place called “%(place)s” was found.", place=text))
        return float(places[0]["lat"]), float(places[0]["lon"]), str(places[0].get("display_name") or text)


class FindPlace:
    name = "find_place"
    description = ("Finds places by name or address (geocoding) and returns their full names, coordinates and an OpenStreetMap link. "
                   "Give the user the link.")
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {"query": {"type": "string", "description": "A place name or address, e.g. Mont Blanc or 10 Downing Street, London"}},
        "required": ["query"],
    }
    consequential = False
    timeout_seconds = 15.0
    max_result_chars = 3000

    def __init__(self, settings: Settings) -> None:
        self.geocoder = _Geocoder(settings)

    def title(self) -> str:
        return _("Maps")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        query = _place_text(arguments, "query")
        places = await self.geocoder.search(query, context.language)
        if not places:
            return ToolResult(content=f"No place called “{query}” was found.", summary=_("no place called “%(place)s”", place=query))
        lines, links = [], []
        for n, place in enumerate(places, 1):
            lat, lon = float(place["lat"]), float(place["lon"])
            name = str(place.get("display_name") or query)
            kind = " ".join(str(place.get(key) or "") for key in ("category", "type")).strip()
            lines.append(f"[{n}] {name}{f' ({kind})' if kind else ''}\nCoordinates: {lat:.5f}, {lon:.5f}\nMap: {map_link(lat, lon)}")
            links.append(Link(name, map_link(lat, lon)))
        return ToolResult(content="\n\n".join(lines), summary=str(places[0].get("display_name") or query), sources=tuple(links))


class PlaceAt:
    name = "place_at"
    description = "Names the place or address at given coordinates (reverse geocoding), with an OpenStreetMap link."
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {"latitude": {"type": "number", "minimum": -90, "maximum": 90},
                       "longitude": {"type": "number", "minimum": -180, "maximum": 180}},
        "required": ["latitude", "longitude"],
    }
    consequential = False
    timeout_seconds = 15.0
    max_result_chars = 2000

    def __init__(self, settings: Settings) -> None:
        self.geocoder = _Geocoder(settings)

    def title(self) -> str:
        return _("Maps")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        lat = _coordinate(arguments.get("latitude"), -90, 90, "latitude")
        lon = _coordinate(arguments.get("longitude"), -180, 180, "longitude")
        place = await self.geocoder.reverse(lat, lon, context.language)
        link = map_link(lat, lon)
        if place is None:
            return ToolResult(content=f"No address is known at {lat:.5f}, {lon:.5f}. Map: {link}",
                              summary=_("no address at %(lat)s, %(lon)s", lat=f"{lat:.5f}", lon=f"{lon:.5f}"), sources=(Link(f"{lat:.5f}, {lon:.5f}", link),))
        name = str(place.get("display_name") or f"{lat:.5f}, {lon:.5f}")
        return ToolResult(content=f"{name}\nCoordinates: {lat:.5f}, {lon:.5f}\nMap: {link}", summary=name, sources=(Link(name, link),))


class Route:
    name = "route"
    description = ("Plans a route between two places (names, addresses or 'latitude, longitude') by car, on foot or by bike, and returns "
                   "its distance, duration and an OpenStreetMap link showing it. Give the user the link.")
    parameters = {  # noqa: RUF012 - never changed; the Tool protocol declares it a plain attribute
        "type": "object",
        "properties": {
            "start": {"type": "string", "description": "Where the route starts: a place name, an address, or 'latitude, longitude'"},
            "end": {"type": "string", "description": "Where the route ends, in the same forms"},
            "mode": {"type": "string", "enum": list(PROFILES), "description": "driving (the default), walking or cycling"},
        },
        "required": ["start", "end"],
    }
    consequential = False
    timeout_seconds = 25.0
    max_result_chars = 2000

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.geocoder = _Geocoder(settings)

    def title(self) -> str:
        return _("Route")

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> ToolResult:
        mode = arguments.get("mode") or "driving"
        if mode not in PROFILES:
            raise ToolFailed(_("The mode must be driving, walking or cycling."))
        start = await self.geocoder.point(_place_text(arguments, "start"), context.language)
        end = await self.geocoder.point(_place_text(arguments, "end"), context.language)
        coordinates = f"{start[1]:.6f},{start[0]:.6f};{end[1]:.6f},{end[0]:.6f}"  # OSRM wants longitude first
        url = f"{self.settings.maps_router_url.rstrip('/')}/route/v1/{mode}/{coordinates}"
        found = await services.get_json(url, service=_("the router"), settings=self.settings, params={"overview": "false", "steps": "false"})
        routes = found.get("routes") if isinstance(found, dict) else None
        if not isinstance(found, dict) or found.get("code") != "Ok" or not isinstance(routes, list) or not routes or not isinstance(routes[0], dict):
            why = found.get("message") if isinstance(found, dict) else None
            raise ToolFailed(_("No route was found: %(reason)s", reason=why or _("the router found none")))
        distance_km = float(routes[0].get("distance") or 0) / 1000
        minutes = round(float(routes[0].get("duration") or 0) / 60)
        duration = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
        link = route_link(mode, start[:2], end[:2])
        content = (f"Route by {mode} from {start[2]} to {end[2]}: {distance_km:.1f} km, about {duration}.\n"
                   f"Map of the route: {link}")
        summary = _("%(start)s → %(end)s: %(km)s km, %(duration)s", start=start[2].split(",")[0], end=end[2].split(",")[0],
                    km=f"{distance_km:.1f}", duration=duration)
        return ToolResult(content=content, summary=summary, sources=(Link(_("The route on OpenStreetMap"), link),))

"""The OpenAPI documents of the public APIs the demo GPTs that act call: OpenAlex's works search, Open-Meteo's forecast
and geocoding (agora.demo.acting). Written from the services' public documentation, only the parameters a reply needs.

Each takes the server's URL so that tests point it at a loopback stand-in speaking the same API; the store uses the
real ones (OPENALEX, OPEN_METEO, OPEN_METEO_GEOCODING).
"""

from __future__ import annotations

from typing import Any

OPENALEX = "https://api.openalex.org"
OPEN_METEO = "https://api.open-meteo.com"
OPEN_METEO_GEOCODING = "https://geocoding-api.open-meteo.com"
OPENALEX_PRIVACY = "https://openalex.org/privacy"
OPEN_METEO_PRIVACY = "https://open-meteo.com/en/terms#privacy"

# The fields of a work a reply cites; without `select` OpenAlex sends every field (abstract index, references, ...),
# a few hundred kB for ten works, past the 100,000 characters an action's answer may have.
WORK_FIELDS = "id,doi,display_name,publication_year,cited_by_count,authorships,primary_location,open_access"


def _query(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def openalex(server: str = OPENALEX) -> dict[str, Any]:
    """GET /works?search=...: OpenAlex's search of 250 M scholarly works (https://developers.openalex.org, "Works")."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "OpenAlex works", "version": "1.0.0", "description": "Search OpenAlex's open catalogue of scholarly works."},
        "servers": [{"url": server}],
        "paths": {"/works": {"get": {
            "operationId": "searchWorks",
            "summary": "Search scholarly works (articles, books, preprints, datasets) by words in their title, abstract and "
                       "full text; each result has its title, year, authors, venue, citation count, DOI and open-access link.",
            "parameters": [
                _query("search", "The words to look for, e.g. \"walrus population decline\".", {"type": "string", "minLength": 1},
                       required=True),
                _query("filter", "Optional filters, comma-separated: publication_year:2020-2024, is_oa:true, type:article, "
                                 "cited_by_count:>100.", {"type": "string"}),
                _query("sort", "Order: relevance (the default), most cited first, or newest first.",
                       {"type": "string", "enum": ["relevance_score:desc", "cited_by_count:desc", "publication_date:desc"]}),
                _query("per_page", "How many works to return (1 to 10).", {"type": "integer", "minimum": 1, "maximum": 10}),
                _query("select", f"Always \"{WORK_FIELDS}\": the fields an answer needs.", {"type": "string", "enum": [WORK_FIELDS]},
                       required=True),
            ],
            "responses": {"200": {"description": "The works found: `meta.count` in all, `results` the page of them.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }}},
    }


def open_meteo(forecast: str = OPEN_METEO, geocoding: str = OPEN_METEO_GEOCODING) -> dict[str, Any]:
    """GET /v1/search (a place's coordinates) and GET /v1/forecast (https://open-meteo.com/en/docs), two servers."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Open-Meteo", "version": "1.0.0", "description": "Weather forecasts for any place, from Open-Meteo."},
        "servers": [{"url": forecast}],
        "paths": {
            "/v1/search": {
                "servers": [{"url": geocoding}],
                "get": {
                    "operationId": "searchLocation",
                    "summary": "Find a town, city or place by name: its latitude, longitude, country, elevation and time zone.",
                    "parameters": [
                        _query("name", "The place's name, e.g. \"Chamonix\" (a postcode works too).", {"type": "string", "minLength": 2},
                               required=True),
                        _query("count", "How many places to return (1 to 10).", {"type": "integer", "minimum": 1, "maximum": 10}),
                        _query("language", "Language of the names returned, e.g. en, fr, de.", {"type": "string"}),
                    ],
                    "responses": {"200": {"description": "`results`: the places found (absent when none).",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                },
            },
            "/v1/forecast": {"get": {
                "operationId": "getForecast",
                "summary": "The weather now and day by day (up to 16 days) at a latitude and longitude.",
                "parameters": [
                    _query("latitude", "Latitude in degrees (WGS84).", {"type": "number", "minimum": -90, "maximum": 90}, required=True),
                    _query("longitude", "Longitude in degrees (WGS84).", {"type": "number", "minimum": -180, "maximum": 180}, required=True),
                    _query("current", "Comma-separated variables for now, e.g. temperature_2m,apparent_temperature,precipitation,"
                                      "weather_code,wind_speed_10m,relative_humidity_2m.", {"type": "string"}),
                    _query("daily", "Comma-separated variables per day, e.g. weather_code,temperature_2m_max,temperature_2m_min,"
                                    "precipitation_sum,precipitation_probability_max,wind_speed_10m_max,sunrise,sunset.",
                           {"type": "string"}),
                    _query("timezone", "Time zone of the times returned: \"auto\" for the place's own.", {"type": "string"}),
                    _query("forecast_days", "Days of forecast, 1 to 16 (7 by default).", {"type": "integer", "minimum": 1, "maximum": 16}),
                    _query("temperature_unit", "celsius (the default) or fahrenheit.", {"type": "string", "enum": ["celsius", "fahrenheit"]}),
                    _query("wind_speed_unit", "kmh (the default), ms, mph or kn.", {"type": "string", "enum": ["kmh", "ms", "mph", "kn"]}),
                ],
                "responses": {"200": {"description": "`current` and `daily` with their `current_units` and `daily_units`.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
    }

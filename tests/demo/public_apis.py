"""A loopback stand-in for the public APIs the demo GPTs that act call, in the shapes their documentation shows:
OpenAlex's GET /works?search= (meta, results; `select` keeps only the fields named, as OpenAlex does), Open-Meteo's
geocoding GET /v1/search and GET /v1/forecast (the variables asked for, with their units; 400 {"error", "reason"} for
a latitude out of range). It records every request."""

from __future__ import annotations

import json

from tests.tools.standins import Standin

PIWOWAR = {
    "id": "https://openalex.org/W2741809807", "doi": "https://doi.org/10.7717/peerj.4375",
    "title": "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles",
    "display_name": "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles",
    "publication_year": 2018, "publication_date": "2018-02-13", "type": "article", "cited_by_count": 1127,
    "authorships": [
        {"author_position": "first", "author": {"id": "https://openalex.org/A5023888391", "display_name": "Heather Piwowar",
                                                "orcid": "https://orcid.org/0000-0003-1613-5981"},
         "institutions": [{"id": "https://openalex.org/I4200000001", "display_name": "Impactstory", "ror": "https://ror.org/02nr0ka47",
                           "country_code": "US", "type": "nonprofit"}],
         "countries": ["US"], "is_corresponding": True, "raw_author_name": "Heather Piwowar", "raw_affiliation_strings": ["Impactstory"]},
        {"author_position": "last", "author": {"id": "https://openalex.org/A5041229003", "display_name": "Stefanie Haustein",
                                               "orcid": "https://orcid.org/0000-0003-0157-1430"},
         "institutions": [], "countries": ["CA"], "is_corresponding": False, "raw_author_name": "Stefanie Haustein",
         "raw_affiliation_strings": []},
    ],
    "primary_location": {"is_oa": True, "landing_page_url": "https://doi.org/10.7717/peerj.4375", "pdf_url": "https://peerj.com/articles/4375.pdf",
                         "source": {"id": "https://openalex.org/S1983995261", "display_name": "PeerJ", "issn_l": "2167-8359",
                                    "issn": ["2167-8359"], "is_oa": True, "is_in_doaj": True, "type": "journal"},
                         "license": "cc-by", "version": "publishedVersion"},
    "open_access": {"is_oa": True, "oa_status": "gold", "oa_url": "https://peerj.com/articles/4375.pdf", "any_repository_has_fulltext": True},
    "abstract_inverted_index": {"Despite": [0], "growing": [1], "interest": [2]},
    "referenced_works": ["https://openalex.org/W1775749144", "https://openalex.org/W1979290264"],
}
CHAMONIX = {"id": 3025242, "name": "Chamonix-Mont-Blanc", "latitude": 45.92375, "longitude": 6.86933, "elevation": 1035.0,
            "feature_code": "PPL", "country_code": "FR", "admin1_id": 11071625, "admin2_id": 3020989, "timezone": "Europe/Paris",
            "population": 8906, "postcodes": ["74400"], "country_id": 3017382, "country": "France", "admin1": "Auvergne-Rhône-Alpes",
            "admin2": "Haute-Savoie"}
UNITS = {"time": "iso8601", "interval": "seconds", "temperature_2m": "°C", "apparent_temperature": "°C", "precipitation": "mm",
         "weather_code": "wmo code", "wind_speed_10m": "km/h", "temperature_2m_max": "°C", "temperature_2m_min": "°C",
         "precipitation_sum": "mm", "precipitation_probability_max": "%"}
NOW = {"temperature_2m": -3.4, "apparent_temperature": -7.9, "precipitation": 0.2, "weather_code": 71, "wind_speed_10m": 6.8}
DAYS = {"weather_code": [71, 3, 0], "temperature_2m_max": [0.4, 2.1, 4.3], "temperature_2m_min": [-6.2, -7.5, -5.0],
        "precipitation_sum": [3.1, 0.0, 0.0], "precipitation_probability_max": [80, 10, 0]}


class PublicApis(Standin):
    def answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, object, str]:
        status, body, kind = self._answer(path, {key: values[0] for key, values in query.items()})
        return status, json.dumps(body, ensure_ascii=False), kind  # UTF-8, as the services send it ("°C")

    def _answer(self, path: str, one: dict[str, str]) -> tuple[int, dict, str]:
        if path == "/works":
            fields = one.get("select", "").split(",") if one.get("select") else list(PIWOWAR)
            work = {key: PIWOWAR[key] for key in fields if key in PIWOWAR}
            per_page = int(one.get("per_page", 25))
            return 200, {"meta": {"count": 1, "db_response_time_ms": 41, "page": 1, "per_page": per_page, "groups_count": None},
                         "results": [work], "group_by": []}, "application/json"
        if path == "/v1/search":
            found = [CHAMONIX] if one.get("name", "").lower().startswith("chamonix") else []
            return 200, ({"results": found} if found else {}) | {"generationtime_ms": 0.71}, "application/json"
        if path == "/v1/forecast":
            latitude, longitude = float(one.get("latitude", "nan")), float(one.get("longitude", "nan"))
            if not -90 <= latitude <= 90:
                return 400, {"error": True, "reason": f"Latitude must be in range of -90 to 90°. Given: {latitude}."}, "application/json"
            answer: dict = {"latitude": round(latitude, 2), "longitude": round(longitude, 2), "generationtime_ms": 0.08,
                            "utc_offset_seconds": 3600, "timezone": "Europe/Paris", "timezone_abbreviation": "GMT+1", "elevation": 1035.0}
            if one.get("current"):
                names = one["current"].split(",")
                answer["current_units"] = {"time": "iso8601", "interval": "seconds", **{n: UNITS.get(n, "") for n in names}}
                answer["current"] = {"time": "2026-12-07T23:00", "interval": 900, **{n: NOW.get(n, 0) for n in names}}
            if one.get("daily"):
                names = one["daily"].split(",")
                answer["daily_units"] = {"time": "iso8601", **{n: UNITS.get(n, "") for n in names}}
                answer["daily"] = {"time": ["2026-12-07", "2026-12-08", "2026-12-09"], **{n: DAYS.get(n, [0, 0, 0]) for n in names}}
            return 200, answer, "application/json"
        return 404, {"error": "not found"}, "application/json"

"""The demo store's GPTs that act: GPTs whose point is what they do with a tool, not their prompt.

They are built by one demo builder, "Agora Labs", published and public, and seeded with the
catalogue (idempotent: found by their `source`). Each works where its service is reachable:
the trail and route helper needs the operator's maps services (AGORA_MAPS_GEOCODER_URL,
AGORA_MAPS_ROUTER_URL; docs/actions.md), and says so when they are missing; the paper finder
and the weather GPT call public APIs that need no key (OpenAlex, Open-Meteo) through OpenAPI
actions (agora.demo.apis), so the server must reach the internet through the outbound guard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.actions import service as actions
from agora.config import Settings, get_settings
from agora.demo import apis
from agora.gpts import service as gpts
from agora.gpts.content import GptContent, LocalizedText
from agora.gpts.models import Gpt
from agora.moderation import review


@dataclass(frozen=True)
class Servers:
    """Where the demo actions' APIs are: the public services, or (in tests) loopback stand-ins speaking their API."""

    openalex: str = apis.OPENALEX
    open_meteo: str = apis.OPEN_METEO
    open_meteo_geocoding: str = apis.OPEN_METEO_GEOCODING


@dataclass(frozen=True)
class DemoAction:
    document: Callable[[Servers], dict[str, Any]]
    privacy_url: str


@dataclass(frozen=True)
class ActingGpt:
    source: str
    content: GptContent
    actions: tuple[DemoAction, ...] = field(default=())


TRAIL_HELPER = ActingGpt(
    source="agora:trail-helper",
    content=GptContent(
        name="Trail & Route Helper",
        description="Plans walks, hikes, bike rides and drives: finds trailheads and places, gives distances and times, "
                    "and links every answer to OpenStreetMap.",
        instructions=(
            "You help people plan walks, hikes, bike rides and drives.\n"
            "- To locate a place, trailhead, hut or address, call find_place and give its OpenStreetMap link.\n"
            "- For a distance or a duration between two places, call route with mode walking for walks and hikes, cycling for bike "
            "rides and driving otherwise; give the distance, the time and the route's OpenStreetMap link.\n"
            "- To name the place at coordinates someone gives, call place_at.\n"
            "- Never invent distances, times or coordinates: use the tools' results, and say when a tool could not answer.\n"
            "- Walking times from the router are for flat ground: for mountain trails, add about one hour per 600 m of climb "
            "and say you did.\n"
            "- Remind people to check the weather and the trail's conditions before they set off."
        ),
        welcome_message="Where would you like to go? Give me a start and an end, or a place to find.",
        starters=["How long is the walk from the Louvre to the Eiffel Tower?", "Plan a bike ride from Annecy to Talloires",
                  "Where is the Refuge du Goûter?", "What is at 45.8326, 6.8652?"],
        avatar="🥾",
        category="lifestyle",
        tags=["hiking", "maps", "routes", "OpenStreetMap"],
        language="en",
        localized={"fr": LocalizedText(
            name="Assistant randonnées et itinéraires",
            description="Prépare balades, randonnées, sorties à vélo et trajets : trouve les départs et les lieux, donne distances "
                        "et durées, avec un lien OpenStreetMap pour chaque réponse.",
            welcome_message="Où voulez-vous aller ? Donnez-moi un départ et une arrivée, ou un lieu à trouver.",
            starters=["Combien de temps à pied du Louvre à la tour Eiffel ?", "Prépare une sortie à vélo d’Annecy à Talloires",
                      "Où se trouve le refuge du Goûter ?"],
        )},
        capabilities={"maps": True, "web_search": True},
    ),
)
PAPER_FINDER = ActingGpt(
    source="agora:paper-finder",
    content=GptContent(
        name="Paper Finder",
        description="Finds scholarly papers on any subject in OpenAlex's open catalogue of 250 million works, with authors, year, "
                    "citations and a link to read each one.",
        instructions=(
            "You help people find scholarly literature.\n"
            "- For any request about papers, studies, research or sources, call searchWorks with a few precise words (in English "
            "unless the field publishes in another language) and select set as its description says; ask for 5 to 10 works.\n"
            "- Use filter for years (publication_year:2020-2024), open access only (is_oa:true) or a kind of work (type:article), "
            "and sort cited_by_count:desc for the classics of a field, publication_date:desc for the newest.\n"
            "- List each work as: title (year), first authors, venue, citations, then a link: its DOI, else its open-access URL, "
            "else its OpenAlex id. Never invent a paper, an author, a DOI or a number: cite only what the search returned.\n"
            "- If nothing fits, say so and suggest other words. Summaries are yours, from titles: say you have not read the papers."
        ),
        welcome_message="What would you like to read about? Give me a subject, a question or an author.",
        starters=["The most cited papers on CRISPR gene editing", "Recent open-access studies on walrus populations",
                  "Papers on transformers for time series since 2022", "Classic papers on the tragedy of the commons"],
        avatar="📚",
        category="research",
        tags=["papers", "research", "citations", "OpenAlex"],
        language="en",
        localized={"fr": LocalizedText(
            name="Chercheur d’articles",
            description="Trouve des articles scientifiques sur tout sujet dans le catalogue ouvert d’OpenAlex (250 millions de "
                        "travaux), avec auteurs, année, citations et un lien pour lire chacun.",
            welcome_message="Sur quoi voulez-vous lire ? Donnez-moi un sujet, une question ou un auteur.",
            starters=["Les articles les plus cités sur CRISPR", "Études récentes en accès ouvert sur les morses",
                      "Articles classiques sur la tragédie des communs"],
        )},
    ),
    actions=(DemoAction(lambda servers: apis.openalex(servers.openalex), apis.OPENALEX_PRIVACY),),
)
WEATHER = ActingGpt(
    source="agora:weather",
    content=GptContent(
        name="Weather Now",
        description="The weather now and for the coming days anywhere in the world, from Open-Meteo's forecasts: temperatures, "
                    "rain, wind, sunrise and sunset.",
        instructions=(
            "You give weather forecasts.\n"
            "- First find the place with searchLocation (count 1, unless the name is ambiguous: then ask which one), then call "
            "getForecast with its latitude and longitude, timezone auto, and current and daily variables that answer the question "
            "(weather_code, temperature_2m_max, temperature_2m_min, precipitation_sum, precipitation_probability_max, "
            "wind_speed_10m_max for days; temperature_2m, apparent_temperature, precipitation, weather_code, wind_speed_10m for now).\n"
            "- Weather codes are WMO codes: 0 clear, 1-3 partly cloudy to overcast, 45/48 fog, 51-57 drizzle, 61-67 rain, "
            "71-77 snow, 80-82 showers, 85/86 snow showers, 95-99 thunderstorm.\n"
            "- Give the place's name and country, the units the forecast used, and say the data is Open-Meteo's. Never guess a "
            "temperature: if a call fails, say so."
        ),
        welcome_message="Which place's weather would you like?",
        starters=["What's the weather in Chamonix this weekend?", "Will it rain in Paris tomorrow?",
                  "How cold is it in Reykjavik right now?", "Sunrise and sunset in Lisbon this week"],
        avatar="🌦️",
        category="lifestyle",
        tags=["weather", "forecast", "Open-Meteo"],
        language="en",
        localized={"fr": LocalizedText(
            name="Météo maintenant",
            description="La météo actuelle et des prochains jours partout dans le monde, d’après les prévisions d’Open-Meteo : "
                        "températures, pluie, vent, lever et coucher du soleil.",
            welcome_message="La météo de quel endroit voulez-vous ?",
            starters=["Quel temps fera-t-il à Chamonix ce week-end ?", "Va-t-il pleuvoir à Paris demain ?",
                      "Quelle température fait-il à Reykjavik ?"],
        )},
    ),
    actions=(DemoAction(lambda servers: apis.open_meteo(servers.open_meteo, servers.open_meteo_geocoding), apis.OPEN_METEO_PRIVACY),),
)
ACTING: tuple[ActingGpt, ...] = (TRAIL_HELPER, PAPER_FINDER, WEATHER)


def seed_acting(session: Session, *, builder_email: str, servers: Servers = Servers(), settings: Settings | None = None) -> int:
    """Create and publish the acting GPTs not there yet, by the builder at `builder_email` (made if needed), their actions
    calling `servers`; how many were created."""
    existing = set(session.scalars(select(Gpt.source).where(Gpt.source.in_([gpt.source for gpt in ACTING]))))
    created = 0
    for acting in ACTING:
        if acting.source in existing:
            continue
        builder = _labs(session, builder_email)
        gpt = gpts.create_gpt(session, owner=builder, workspace_id=accounts.personal_workspace_id(session, builder), content=acting.content,
                              visibility="public", allow_forks=True, source=acting.source)
        for action in acting.actions:  # no key: the demo APIs need none
            actions.create(session, builder, settings or get_settings(), gpt.id,
                           actions.Change(schema=action.document(servers), privacy_url=action.privacy_url))
        gpts.publish(session, gpt, author=builder, note="A demo GPT that acts")
        review.list_seeded(session, gpt)  # the operator's own demo, listed by the seeding command like the catalogue
        created += 1
    return created


def _labs(session: Session, email: str) -> User:
    """The demo builder of the acting GPTs: an account nobody can log in to."""
    return accounts.user_by_email(session, email) or accounts.create_user(
        session, email=email, display_name="Agora Labs", password=None, handle=accounts.free_handle(session, "agora-labs"))

"""The demo store's GPTs that act: GPTs whose point is what they do with a tool, not their prompt.

They are built by one demo builder, "Agora Labs", published and public, and seeded with the
catalogue (idempotent: found by their `source`). Each works where its service is reachable:
the trail and route helper needs the operator's maps services (AGORA_MAPS_GEOCODER_URL,
AGORA_MAPS_ROUTER_URL; docs/actions.md), and says so when they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.gpts import service as gpts
from agora.gpts.content import GptContent, LocalizedText
from agora.gpts.models import Gpt
from agora.moderation import review


@dataclass(frozen=True)
class ActingGpt:
    source: str
    content: GptContent


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
ACTING: tuple[ActingGpt, ...] = (TRAIL_HELPER,)


def seed_acting(session: Session, *, builder_email: str) -> int:
    """Create and publish the acting GPTs not there yet, by the builder at `builder_email` (made if needed); how many were created."""
    existing = set(session.scalars(select(Gpt.source).where(Gpt.source.in_([gpt.source for gpt in ACTING]))))
    created = 0
    for acting in ACTING:
        if acting.source in existing:
            continue
        builder = _labs(session, builder_email)
        gpt = gpts.create_gpt(session, owner=builder, workspace_id=accounts.personal_workspace_id(session, builder), content=acting.content,
                              visibility="public", allow_forks=True, source=acting.source)
        gpts.publish(session, gpt, author=builder, note="A demo GPT that acts")
        review.list_seeded(session, gpt)  # the operator's own demo, listed by the seeding command like the catalogue
        created += 1
    return created


def _labs(session: Session, email: str) -> User:
    """The demo builder of the acting GPTs: an account nobody can log in to."""
    return accounts.user_by_email(session, email) or accounts.create_user(
        session, email=email, display_name="Agora Labs", password=None, handle=accounts.free_handle(session, "agora-labs"))

"""`agora seed-demo`: a builder per author, a published public GPT per assistant, featured picks,
and made-up activity (conversations, ratings, reviews: demo.activity) that never counts as usage.

Idempotent: builders are found by their email, GPTs by their `source`, a week that already
has picks keeps them, and a GPT that has its demo activity gets no more, so running it again
creates nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.db import Database
from agora.demo import acting, activity
from agora.demo.catalogue import Entry, entries
from agora.gpts import service as gpts
from agora.gpts.models import Gpt
from agora.moderation import review
from agora.store import featured
from agora.store.models import Category, FeaturedPick, Listing
from agora.text import slugify

BUILDER_EMAIL_DOMAIN = "builders.agora.example"
CURATOR_EMAIL = f"curator@{BUILDER_EMAIL_DOMAIN}"
LABS_EMAIL = f"agora-labs@{BUILDER_EMAIL_DOMAIN}"  # the builder of the GPTs that act
BATCH = 100
# The demo store's front shows featured picks from the first day: this week's and the
# next few weeks', one GPT from each of several categories, a different one every week.
FEATURED_WEEKS, FEATURED_PER_WEEK = 8, 8


@dataclass
class SeedReport:
    builders_created: int = 0
    gpts_created: int = 0
    gpts_existing: int = 0
    weeks_featured: int = 0
    acting_created: int = 0  # the GPTs that act (agora.demo.acting)
    gpts_with_activity: int = 0


def is_empty(database: Database) -> bool:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Gpt)) == 0


def seed_demo(database: Database, on_progress: Callable[[int], None] = lambda n: None) -> SeedReport:
    report = SeedReport()
    batch: list[Entry] = []
    for entry in entries():
        batch.append(entry)
        if len(batch) == BATCH:
            _seed_batch(database, batch, report)
            on_progress(len(batch))
            batch = []
    if batch:
        _seed_batch(database, batch, report)
        on_progress(len(batch))
    with database.session() as session:
        report.acting_created = acting.seed_acting(session, builder_email=LABS_EMAIL)
    with database.session() as session:
        report.weeks_featured = feature_demo_picks(session, date.today())
    with database.session() as session:
        report.gpts_with_activity = activity.seed_activity(session, date.today())
    return report


def feature_demo_picks(session: Session, today: date) -> int:
    """Pick demo GPTs for this ISO week and the next ones that have no picks yet; returns the weeks picked."""
    by_category: dict[int | None, list[str]] = {}
    # Only the demo's own GPTs (their builders are its accounts): it vouches for them as their featured picks
    # (store.featured, `seeded`), never for a GPT someone built on this store, which needs a verified builder.
    for gpt_id, category_id in session.execute(
        select(Listing.gpt_id, Listing.category_id).join(Category, Category.id == Listing.category_id)
        .join(User, User.id == Listing.builder_id).where(Category.hidden.is_(False), User.email.endswith(f"@{BUILDER_EMAIL_DOMAIN}"))
        .order_by(Category.position, Listing.gpt_id)
    ):
        by_category.setdefault(category_id, []).append(gpt_id)
    shelves = list(by_category.values())[:FEATURED_PER_WEEK]
    if not shelves:
        return 0
    curator = _curator(session)
    picked = 0
    for offset in range(FEATURED_WEEKS):
        year, week = featured.current_week(today + timedelta(weeks=offset))
        if session.scalar(select(FeaturedPick.id).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week)):
            continue  # an admin (or an earlier seed) already chose this week
        for shelf in shelves:
            featured.pick(session, curator, gpt_id=shelf[(year * 53 + week) % len(shelf)], year=year, week=week, seeded=True)
        picked += 1
    return picked


def top_up_featured(database: Database, today: date) -> int | None:
    """On a store the demo seeded (its curator exists), pick the coming weeks that have no picks,
    and give demo GPTs seeded before demo activity existed theirs.

    `make run` seeds once; without this, a demo store started again two months later would
    show no featured picks. A store the demo did not seed is left alone (None).
    """
    with database.session() as session:
        if accounts.user_by_email(session, CURATOR_EMAIL) is None:
            return None
        activity.seed_activity(session, today)
        return feature_demo_picks(session, today)


def _curator(session: Session) -> User:
    """Who the demo's picks are credited to: an administrator account nobody can log in to."""
    return accounts.user_by_email(session, CURATOR_EMAIL) or accounts.create_user(
        session, email=CURATOR_EMAIL, display_name="Agora demo curator", password=None,
        handle=accounts.free_handle(session, "demo-curator"), role="admin",
    )


def _seed_batch(database: Database, batch: list[Entry], report: SeedReport) -> None:
    with database.session() as session:
        existing = set(session.scalars(select(Gpt.source).where(Gpt.source.in_([e.source for e in batch]))))
        for entry in batch:
            if entry.source in existing:
                report.gpts_existing += 1
                continue
            builder, workspace_id = _builder(session, entry, report)
            gpt = gpts.create_gpt(
                session,
                owner=builder,
                workspace_id=workspace_id,
                content=entry.content,
                visibility="public",
                allow_forks=True,
                source=entry.source,
            )
            gpts.publish(session, gpt, author=builder, note="Imported from the LobeHub agent index")
            gpt.published_at = entry.created_at  # keeps "newest" meaningful for the demo
            review.list_seeded(session, gpt)  # the operator's own catalogue: listed by this command, whatever the review mode
            report.gpts_created += 1


def builder_key(author: str) -> str:
    """A stable, unique, URL-safe key per author. Names without Latin letters (宝玉, 李继刚)
    slugify to nothing, so they get a short hash of the name rather than sharing one key."""
    return slugify(author) or "builder-" + hashlib.sha256(author.encode()).hexdigest()[:8]


def _builder(session: Session, entry: Entry, report: SeedReport) -> tuple[User, int]:
    handle = builder_key(entry.author)
    email = f"{handle}@{BUILDER_EMAIL_DOMAIN}"
    user = accounts.user_by_email(session, email)
    if user is None:
        user = accounts.create_user(
            session,
            email=email,
            display_name=entry.author,
            password=None,  # demo builders cannot log in
            handle=accounts.free_handle(session, handle),
            website=entry.homepage,
        )
        report.builders_created += 1
    return user, accounts.personal_workspace_id(session, user)

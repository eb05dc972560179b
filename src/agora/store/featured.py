"""Weekly featured picks: admins choose GPTs for an ISO week ahead of time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import rows_changed
from agora.errors import Forbidden, InvalidInput, NotFound
from agora.i18n import gettext as _
from agora.store.models import FeaturedPick, Listing

MAX_PICKS = 12


def current_week(today: date | None = None) -> tuple[int, int]:
    year, week, _weekday = (today or date.today()).isocalendar()
    return year, week


def parse_week(text: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47), refusing weeks that do not exist."""
    try:
        year_text, week_text = text.upper().split("-W")
        year, week = int(year_text), int(week_text)
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidInput(_("Weeks are written like 2026-W47 (ISO year and week)."), field="week") from None
    return year, week


def picks(session: Session, year: int, week: int) -> list[Listing]:
    """The week's picks that are still in the store, in the admin's order."""
    return list(
        session.scalars(
            select(Listing)
            .join(FeaturedPick, FeaturedPick.gpt_id == Listing.gpt_id)
            .where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week)
            .order_by(FeaturedPick.position, FeaturedPick.id)
        )
    )


def pick(session: Session, admin: User, *, gpt_id: str, year: int, week: int) -> None:
    if not admin.is_admin:
        raise Forbidden(_("Only administrators choose featured GPTs."))
    date.fromisocalendar(year, week, 1)  # raises for a week that does not exist
    if session.scalar(select(Listing.id).where(Listing.gpt_id == gpt_id)) is None:
        raise NotFound(_("Only public GPTs in the store can be featured."), field="gpt_id")
    existing = select(FeaturedPick).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week)
    if session.scalar(existing.where(FeaturedPick.gpt_id == gpt_id)) is not None:
        return  # picking twice is the same as picking once
    count = session.scalars(select(func.count()).select_from(existing.subquery())).one()
    if count >= MAX_PICKS:
        raise InvalidInput(_("A week has at most %(max)d featured GPTs.", max=MAX_PICKS), field="gpt_id")
    session.add(FeaturedPick(iso_year=year, iso_week=week, gpt_id=gpt_id, position=count, picked_by=admin.id))
    audit.record(session, "admin.featured", actor=admin, target_type="gpt", target_id=gpt_id, details={"week": f"{year}-W{week:02d}"})
    events.publish_after_commit(session, events.CatalogueChanged())  # the front shows this week's picks


def unpick(session: Session, admin: User, *, gpt_id: str, year: int, week: int) -> None:
    if not admin.is_admin:
        raise Forbidden(_("Only administrators choose featured GPTs."))
    removed = rows_changed(session.execute(
        delete(FeaturedPick).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week, FeaturedPick.gpt_id == gpt_id)
    ))
    if removed:
        audit.record(session, "admin.unfeatured", actor=admin, target_type="gpt", target_id=gpt_id, details={"week": f"{year}-W{week:02d}"})
    events.publish_after_commit(session, events.CatalogueChanged())

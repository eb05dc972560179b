"""Weekly featured picks: administrators choose listed GPTs of verified builders for an ISO week ahead of time.

A verified builder is one with a verified website domain (store.builders.verified_builders: the same
definition the badges, the review's "new builder" rule and the revenue pool use). A pick that stops
being valid (its GPT leaves the store, its builder removes their last verified domain) stays in the
table for the administrators to see, but the front and the week pages read only valid picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import begin_writing, rows_changed, utcnow
from agora.errors import Forbidden, InvalidInput
from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.store.models import BuilderDomain, FeaturedPick, FeaturedRequest, Listing

MAX_PICKS = 12

_VERIFIED_BUILDER = exists().where(BuilderDomain.user_id == Listing.builder_id, BuilderDomain.verified_at.is_not(None))


def current_week(today: date | None = None) -> tuple[int, int]:
    year, week, _weekday = (today or date.today()).isocalendar()
    return year, week


def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


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
    """The week's valid picks, in the administrators' order: listed GPTs of verified builders (or the demo's own)."""
    return list(
        session.scalars(
            select(Listing)
            .join(FeaturedPick, FeaturedPick.gpt_id == Listing.gpt_id)
            .where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week, or_(FeaturedPick.seeded, _VERIFIED_BUILDER))
            .order_by(FeaturedPick.position, FeaturedPick.id)
        )
    )


@dataclass(frozen=True)
class Problem:
    """Why a GPT cannot be featured, as a code (for the API) and a sentence saying the fix."""

    code: str  # unknown, not_listed, pending_review, builder_not_verified
    message: str


def problems(session: Session, gpt_id: str) -> list[Problem]:
    """What keeps this GPT out of the featured picks; empty when it can be picked."""
    gpt = session.get(Gpt, gpt_id) if is_gpt_id(gpt_id) else None
    if gpt is None or gpt.deleted_at is not None:
        return [Problem("unknown", _("No GPT has the id %(id)s: search for it by name, or paste its id (g-…) or its link.", id=gpt_id))]
    found: list[Problem] = []
    name = gpt.name or str(gpt.draft.get("name", ""))
    if session.scalar(select(Listing.id).where(Listing.gpt_id == gpt_id)) is None:
        if gpt.review_state == "pending":
            found.append(Problem("pending_review", _("%(name)s waits for a moderator's review: only GPTs listed in the store are featured. "
                                                     "It can be featured once a moderator lists it.", name=name)))
        else:
            found.append(Problem("not_listed", _("%(name)s is not listed in the store: only listed GPTs are featured. "
                                                 "Publish it shared with everyone; the review then lists it.", name=name)))
    if not builder_verified(session, gpt.owner_id):
        builder = session.get_one(User, gpt.owner_id)
        found.append(Problem("builder_not_verified", _("%(builder)s has not verified a website domain: only verified builders' GPTs are "
                                                       "featured. The builder verifies one on their builder profile (/account/builder).",
                                                       builder=builder.display_name)))
    return found


def builder_verified(session: Session, builder_id: int) -> bool:
    return session.scalar(select(BuilderDomain.id).where(BuilderDomain.user_id == builder_id, BuilderDomain.verified_at.is_not(None)).limit(1)) is not None


@dataclass(frozen=True)
class WeekPick:
    """A pick as the administrators see it: shown on the front, or not and why."""

    gpt_id: str
    name: str
    listing: Listing | None
    problems: list[Problem]


def week_picks(session: Session, year: int, week: int) -> list[WeekPick]:
    """Every pick of the week, valid or not, in order (the picker shows why an invalid one is hidden)."""
    rows = session.execute(
        select(FeaturedPick, Gpt.name, Listing).join(Gpt, Gpt.id == FeaturedPick.gpt_id).outerjoin(Listing, Listing.gpt_id == FeaturedPick.gpt_id)
        .where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week).order_by(FeaturedPick.position, FeaturedPick.id)
    ).all()
    return [WeekPick(pick.gpt_id, name, listing, [problem for problem in problems(session, pick.gpt_id)
                                                  if not (pick.seeded and problem.code == "builder_not_verified")])
            for pick, name, listing in rows]


def _require_admin(session: Session, user: User) -> None:
    if not user.is_admin:
        raise Forbidden(_("Only administrators choose featured GPTs."))
    begin_writing(session)  # SQLite: what is read (the week's count and order) is still true when written


def _week_of(year: int, week: int):
    return select(FeaturedPick).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week)


def pick(session: Session, admin: User, *, gpt_id: str, year: int, week: int, seeded: bool = False, request_id: int | None = None) -> None:
    """Feature a listed GPT of a verified builder in a week (`seeded`: the demo's own catalogue, listed is enough).

    Closes the GPT's open request to be featured, if any, as picked for that week."""
    _require_admin(session, admin)
    date.fromisocalendar(year, week, 1)  # raises for a week that does not exist
    found = problems(session, gpt_id)
    if seeded:
        found = [problem for problem in found if problem.code != "builder_not_verified"]
    if found:
        raise InvalidInput(" ".join(problem.message for problem in found), field="gpt_id")
    label = week_label(year, week)
    if session.scalar(_week_of(year, week).where(FeaturedPick.gpt_id == gpt_id)) is None:  # picking twice is picking once
        count = session.scalar(select(func.count()).select_from(_week_of(year, week).subquery())) or 0
        if count >= MAX_PICKS:
            raise InvalidInput(_("A week has at most %(max)d featured GPTs: remove one from %(week)s first.", max=MAX_PICKS, week=label),
                               field="gpt_id")
        last = session.scalar(select(func.max(FeaturedPick.position)).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week))
        session.add(FeaturedPick(iso_year=year, iso_week=week, gpt_id=gpt_id, position=(last + 1) if last is not None else 0,
                                 picked_by=admin.id, seeded=seeded))
        audit.record(session, "admin.featured", actor=admin, target_type="gpt", target_id=gpt_id,
                     details={"week": label, **({"request": request_id} if request_id else {})})
    session.execute(update(FeaturedRequest).where(FeaturedRequest.gpt_id == gpt_id, FeaturedRequest.state == "open")
                    .values(state="picked", iso_year=year, iso_week=week, decided_at=utcnow(), decided_by=admin.id))
    events.publish_after_commit(session, events.CatalogueChanged())  # the front shows this week's picks


def unpick(session: Session, admin: User, *, gpt_id: str, year: int, week: int) -> None:
    _require_admin(session, admin)
    removed = rows_changed(session.execute(
        delete(FeaturedPick).where(FeaturedPick.iso_year == year, FeaturedPick.iso_week == week, FeaturedPick.gpt_id == gpt_id)
    ))
    if removed:
        audit.record(session, "admin.unfeatured", actor=admin, target_type="gpt", target_id=gpt_id, details={"week": week_label(year, week)})
    events.publish_after_commit(session, events.CatalogueChanged())


def move(session: Session, admin: User, *, gpt_id: str, year: int, week: int, up: bool) -> None:
    """Swap a pick with the one before (`up`) or after it; the first valid pick is the front's hero."""
    _require_admin(session, admin)
    ordered = list(session.scalars(_week_of(year, week).order_by(FeaturedPick.position, FeaturedPick.id).with_for_update()))
    at = next((n for n, p in enumerate(ordered) if p.gpt_id == gpt_id), None)
    other = None if at is None else at - 1 if up else at + 1
    if at is None or other is None or not 0 <= other < len(ordered):
        return  # already first (or last), or removed meanwhile: nothing to move
    ordered[at], ordered[other] = ordered[other], ordered[at]
    for position, row in enumerate(ordered):
        row.position = position
    audit.record(session, "admin.featured_moved", actor=admin, target_type="gpt", target_id=gpt_id,
                 details={"week": week_label(year, week), "position": other + 1})
    events.publish_after_commit(session, events.CatalogueChanged())

"""Builders ask for their GPT to be featured; administrators pick it for a week or decline it with a reason.

Only a listed GPT of a verified builder can be requested (store.featured.problems says what is missing).
One request per GPT is open at a time, enforced by a partial unique index: a double click or a retried
request finds the open one instead of making a second. Every step is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import begin_writing, utcnow
from agora.errors import Forbidden, InvalidInput, NotFound
from agora.gpts import access
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.inputs import refuse_unstorable
from agora.store import featured
from agora.store.models import FeaturedRequest, Listing

MAX_PITCH = 280
MAX_REASON = 500


@dataclass(frozen=True)
class Standing:
    """Where a GPT stands for its editors: what keeps it from being featured, and its latest request."""

    gpt: Gpt
    problems: list[featured.Problem]
    latest: FeaturedRequest | None

    @property
    def can_request(self) -> bool:
        return not self.problems and not (self.latest and self.latest.state == "open")


def standing(session: Session, user: User, gpt_id: str) -> Standing:
    gpt = access.find(session, gpt_id, user, "edit")
    latest = session.scalar(select(FeaturedRequest).where(FeaturedRequest.gpt_id == gpt.id).order_by(FeaturedRequest.id.desc()).limit(1))
    return Standing(gpt, featured.problems(session, gpt.id), latest)


def latest_requests(session: Session, gpt_ids: list[str]) -> dict[str, FeaturedRequest]:
    """Each of these GPTs' latest request, for My GPTs."""
    if not gpt_ids:
        return {}
    latest = select(func.max(FeaturedRequest.id)).where(FeaturedRequest.gpt_id.in_(gpt_ids)).group_by(FeaturedRequest.gpt_id)
    return {found.gpt_id: found for found in session.scalars(select(FeaturedRequest).where(FeaturedRequest.id.in_(latest)))}


def request(session: Session, user: User, *, gpt_id: str, pitch: str = "") -> tuple[FeaturedRequest, bool]:
    """Ask for the GPT to be featured; returns the open request and whether this call made it."""
    begin_writing(session)  # SQLite: a double click's second request waits for the first, then finds it open
    gpt = access.find(session, gpt_id, user, "edit")
    pitch = refuse_unstorable(pitch.strip(), field="pitch")
    if len(pitch) > MAX_PITCH:
        raise InvalidInput(_("A pitch is at most %(max)d characters: say in a sentence or two why people would like it.", max=MAX_PITCH),
                           field="pitch")
    existing = _open(session, gpt.id)
    if existing is not None:
        return existing, False
    found = featured.problems(session, gpt.id)
    if found:
        raise InvalidInput(" ".join(problem.message for problem in found), field="gpt_id")
    made = FeaturedRequest(gpt_id=gpt.id, requested_by=user.id, pitch=pitch, state="open", reason="")
    try:
        with session.begin_nested():  # a concurrent double click: the partial unique index lets one in
            session.add(made)
    except IntegrityError:
        again = _open(session, gpt.id)
        if again is None:
            raise
        return again, False
    audit.record(session, "featured.requested", actor=user, workspace_id=gpt.workspace_id, target_type="gpt", target_id=gpt.id,
                 details={"name": gpt.name, "request": made.id, **({"pitch": pitch} if pitch else {})})
    return made, True


def _open(session: Session, gpt_id: str) -> FeaturedRequest | None:
    return session.scalar(select(FeaturedRequest).where(FeaturedRequest.gpt_id == gpt_id, FeaturedRequest.state == "open"))


@dataclass(frozen=True)
class Queued:
    """An open request as the picker shows it: the GPT's numbers, its builder, and what would stop a pick."""

    request: FeaturedRequest
    gpt: Gpt
    builder: User
    listing: Listing | None
    problems: list[featured.Problem]

    @property
    def rating(self) -> float | None:
        listing = self.listing
        return round(listing.rating_sum / listing.rating_count, 1) if listing and listing.rating_count else None


def queue(session: Session) -> list[Queued]:
    """Open requests, oldest first."""
    rows = session.execute(
        select(FeaturedRequest, Gpt, User, Listing).join(Gpt, Gpt.id == FeaturedRequest.gpt_id).join(User, User.id == Gpt.owner_id)
        .outerjoin(Listing, Listing.gpt_id == Gpt.id).where(FeaturedRequest.state == "open")
        .order_by(FeaturedRequest.created_at, FeaturedRequest.id)
    ).all()
    return [Queued(request, gpt, builder, listing, featured.problems(session, gpt.id)) for request, gpt, builder, listing in rows]


def _the_open(session: Session, admin: User, request_id: int) -> FeaturedRequest:
    if not admin.is_admin:
        raise Forbidden(_("Only administrators choose featured GPTs."))
    begin_writing(session)  # SQLite: two administrators deciding at once take turns (PostgreSQL: the row lock below)
    found = session.scalar(select(FeaturedRequest).where(FeaturedRequest.id == request_id).with_for_update())
    if found is None:
        raise NotFound(_("There is no request %(id)s to be featured.", id=request_id))
    if found.state != "open":
        raise InvalidInput(_("This request was already decided: the queue shows only open ones."),
                           field="request")
    return found


def pick(session: Session, admin: User, request_id: int, *, year: int, week: int) -> FeaturedRequest:
    """Feature the requested GPT in a week; the request is closed as picked (store.featured.pick)."""
    found = _the_open(session, admin, request_id)
    featured.pick(session, admin, gpt_id=found.gpt_id, year=year, week=week, request_id=found.id)
    session.refresh(found)
    return found


def decline(session: Session, admin: User, request_id: int, *, reason: str) -> FeaturedRequest:
    """Close the request unpicked, telling the builder why (they may ask again later)."""
    found = _the_open(session, admin, request_id)
    reason = refuse_unstorable(reason.strip(), field="reason")
    if not reason:
        raise InvalidInput(_("Say why it is declined: the builder reads the reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("A reason is at most %(max)d characters.", max=MAX_REASON), field="reason")
    found.state, found.reason, found.decided_at, found.decided_by = "declined", reason, utcnow(), admin.id
    audit.record(session, "admin.featured_declined", actor=admin, target_type="gpt", target_id=found.gpt_id,
                 details={"request": found.id, "reason": reason})
    return found

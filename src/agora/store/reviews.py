"""Ratings and reviews: one per user per GPT, editable; the builder may reply once.

A GPT's rating sum and count live on its listing and move by atomic SQL increments, so
concurrent reviews never lose a vote and ranking reads one row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.db import utcnow
from agora.errors import Conflict, Forbidden, InvalidInput, NotFound
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.store import cursors, ranking
from agora.store.models import Listing, Review

MAX_BODY = 2000
PAGE = 20


def _check(rating: int, body: str) -> str:
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise InvalidInput(_("Ratings are whole stars from 1 to 5."), field="rating")
    body = body.strip()
    if len(body) > MAX_BODY:
        raise InvalidInput(_("Reviews are at most %(max)d characters.", max=MAX_BODY), field="body")
    return body


def review_of(session: Session, user: User, gpt_id: str) -> Review | None:
    return session.scalar(select(Review).where(Review.gpt_id == gpt_id, Review.user_id == user.id))


# Whether a user got a reply from a GPT (what earns the right to rate it). Conversations are the
# chat's, which sits above the store (it uses the catalogue), so chat hands its reader down when
# loaded (agora.chat.service) instead of being imported here.
_chatted: list[Callable[[Session, User, str], bool]] = []


def read_chatted_with(reader: Callable[[Session, User, str], bool]) -> None:
    """The chat's answer to "did this user get a reply from this GPT?"."""
    _chatted[:] = [reader]


def has_chatted(session: Session, user: User, gpt_id: str) -> bool:
    if not _chatted:
        raise RuntimeError("agora.chat is not loaded, so whether a user chatted with a GPT is unknown: import agora.chat.service")
    return _chatted[0](session, user, gpt_id)


def rate(session: Session, user: User, gpt: Gpt, *, rating: int, body: str = "") -> Review:
    """Create or edit `user`'s review of `gpt` (the caller has checked they may see it)."""
    body = _check(rating, body)
    if gpt.owner_id == user.id:
        raise Forbidden(_("Builders cannot rate their own GPTs."), field="rating")
    if not has_chatted(session, user, gpt.id):
        raise Forbidden(_("Chat with this GPT before rating it."), field="rating")
    review = review_of(session, user, gpt.id)
    if review is None:
        review = Review(gpt_id=gpt.id, user_id=user.id, rating=rating, body=body)
        try:
            with session.begin_nested():  # a double submit races on the unique (gpt, user)
                session.add(review)
        except IntegrityError:
            review = review_of(session, user, gpt.id)
            assert review is not None  # the unique key refused this one because the other submit's review is stored
            return _edit(session, review, rating, body)
        _move_rating(session, gpt.id, delta=rating, votes=1)
        return review
    return _edit(session, review, rating, body)


def _edit(session: Session, review: Review, rating: int, body: str) -> Review:
    delta = rating - review.rating
    review.rating, review.body, review.updated_at = rating, body, utcnow()
    if delta:
        _move_rating(session, review.gpt_id, delta=delta, votes=0)
    return review


def remove(session: Session, user: User, gpt_id: str) -> None:
    review = review_of(session, user, gpt_id)
    if review is None:
        raise NotFound(_("You have not reviewed this GPT."))
    _move_rating(session, gpt_id, delta=-review.rating, votes=-1)
    session.delete(review)


def reply(session: Session, builder: User, review_id: int, *, body: str) -> Review:
    review = session.get(Review, review_id)
    gpt = session.get(Gpt, review.gpt_id) if review else None
    if review is None or gpt is None or gpt.owner_id != builder.id:
        raise NotFound(_("There is no review of yours to answer here."))
    if review.reply is not None:
        raise Conflict(_("You already replied to this review; a review gets one reply."), field="body")
    body = body.strip()
    if not body or len(body) > MAX_BODY:
        raise InvalidInput(_("Replies are 1 to %(max)d characters.", max=MAX_BODY), field="body")
    review.reply, review.replied_at = body, utcnow()
    return review


def page(session: Session, gpt_id: str, *, cursor: str | None = None, limit: int = PAGE) -> tuple[list[tuple[Review, User]], str | None]:
    """Reviews newest first, with their authors; keyset pagination like the store's."""
    statement, parameters = _FIRST_PAGE, {"gpt_id": gpt_id, "limit": limit + 1}
    if cursor:
        created, last_id = _decode(cursor)
        statement = _page(cursor=True)
        parameters |= {"created": created, "last_id": last_id}
    rows = [tuple(row) for row in session.execute(statement, parameters)]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1][0]) if more else None
    return rows, next_cursor


def _page(*, cursor: bool):
    # Built once per shape: constructing a statement costs more than running it.
    statement = select(Review, User).join(User, User.id == Review.user_id).where(Review.gpt_id == bindparam("gpt_id"))
    if cursor:
        statement = statement.where(
            tuple_(Review.created_at, Review.id) < tuple_(bindparam("created", type_=Review.created_at.type), bindparam("last_id"))
        )
    return statement.order_by(Review.created_at.desc(), Review.id.desc()).limit(bindparam("limit"))


_FIRST_PAGE = _page(cursor=False)


def _move_rating(session: Session, gpt_id: str, *, delta: int, votes: int) -> None:
    session.execute(
        update(Listing)
        .where(Listing.gpt_id == gpt_id)
        .values(
            rating_sum=Listing.rating_sum + delta,
            rating_count=Listing.rating_count + votes,
            # SET expressions read the old row on both databases, hence the "+ delta" again.
            rating_score=(ranking.PRIOR_VOTES * ranking.PRIOR_MEAN + Listing.rating_sum + delta)
            / (ranking.PRIOR_VOTES + Listing.rating_count + votes),
        )
    )


def _encode(review: Review) -> str:
    return cursors.encode({"t": review.created_at.isoformat(), "i": review.id})


def _decode(cursor: str) -> tuple[datetime, int]:
    data = cursors.decode(cursor)
    try:
        return datetime.fromisoformat(data["t"]), int(data["i"])
    except (KeyError, TypeError, ValueError):
        raise cursors.refused() from None

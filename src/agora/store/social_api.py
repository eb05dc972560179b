"""JSON API for reviews, builder profiles and domain verification."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel

from agora.accounts.models import User
from agora.gpts import access
from agora.inputs import Id, Text
from agora.store import builders, reviews
from agora.web.deps import AppSettings, CurrentUser, Db, Viewer
from agora.web.json_route import JsonRoute

router = APIRouter(prefix="/api", tags=["store"], route_class=JsonRoute)


class ReviewIn(BaseModel):
    rating: int
    body: Text = ""


class ReplyIn(BaseModel):
    body: Text


class ReviewOut(BaseModel):
    id: int
    rating: int
    body: str
    author: str
    reply: str | None
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None


class DomainIn(BaseModel):
    domain: Text


class DomainOut(BaseModel):
    id: int
    domain: str
    token: str
    url: str
    verified: bool


class ProfileOut(BaseModel):
    handle: str
    name: str
    bio: str
    website: str
    verified_domains: list[str]


def _review_out(review, author) -> ReviewOut:
    return ReviewOut(
        id=review.id, rating=review.rating, body=review.body, author=author.display_name,
        reply=review.reply, created_at=review.created_at, updated_at=review.updated_at,
    )


def _domain_out(claim) -> DomainOut:
    return DomainOut(
        id=claim.id, domain=claim.domain, token=claim.token,
        url=f"https://{claim.domain}{builders.WELL_KNOWN}", verified=claim.verified_at is not None,
    )


@router.get("/gpts/{gpt_id}/reviews", response_model=ReviewPage)
def list_reviews(gpt_id: Text, db: Db, viewer: Viewer, cursor: Text | None = None):
    """Reviews of a GPT you may see, newest first."""
    with db.session() as session:
        access.find(session, gpt_id, viewer, "view")
        rows, next_cursor = reviews.page(session, gpt_id, cursor=cursor)
        return ReviewPage(items=[_review_out(r, a) for r, a in rows], next_cursor=next_cursor)


@router.put("/gpts/{gpt_id}/review", response_model=ReviewOut)
def put_review(gpt_id: Text, body: ReviewIn, db: Db, user: CurrentUser):
    """Rate (1-5) and optionally review a GPT you have chatted with; again to edit."""
    with db.session() as session:
        gpt = access.find(session, gpt_id, user, "use")
        review = reviews.rate(session, user, gpt, rating=body.rating, body=body.body)
        session.flush()
        return _review_out(review, user)


@router.delete("/gpts/{gpt_id}/review", status_code=204)
def delete_review(gpt_id: Text, db: Db, user: CurrentUser) -> Response:
    with db.session() as session:
        access.find(session, gpt_id, user, "view")
        reviews.remove(session, user, gpt_id)
    return Response(status_code=204)


@router.post("/reviews/{review_id}/reply", response_model=ReviewOut)
def reply(review_id: Id, body: ReplyIn, db: Db, user: CurrentUser):
    """The GPT's builder answers a review, once."""
    with db.session() as session:
        review = reviews.reply(session, user, review_id, body=body.body)
        return _review_out(review, session.get(User, review.user_id))


@router.get("/builders/{handle}", response_model=ProfileOut)
def profile(handle: Text, db: Db):
    with db.session() as session:
        found = builders.profile(session, handle)
        return ProfileOut(
            handle=found.builder.handle, name=found.builder.display_name, bio=found.builder.bio,
            website=found.builder.website, verified_domains=[d.domain for d in found.domains if d.verified_at],
        )


@router.post("/me/domains", response_model=DomainOut, status_code=201)
def claim_domain(body: DomainIn, db: Db, user: CurrentUser, settings: AppSettings):
    """Claim a website domain: serve the returned token at the returned URL, then verify."""
    with db.session() as session:
        return _domain_out(builders.claim(session, user, body.domain, settings))


@router.post("/me/domains/{domain_id}/verify", response_model=DomainOut)
def verify_domain(domain_id: Id, db: Db, user: CurrentUser, settings: AppSettings):
    """Fetch https://DOMAIN/.well-known/agora-builder.txt and compare it with the token."""
    with db.session() as session:
        return _domain_out(builders.verify(session, user, domain_id, settings))


@router.delete("/me/domains/{domain_id}", status_code=204)
def remove_domain(domain_id: Id, db: Db, user: CurrentUser) -> Response:
    """Remove a domain from your profile (with your last verified one, you are no longer a verified builder)."""
    with db.session() as session:
        builders.remove_domain(session, user, domain_id)
    return Response(status_code=204)

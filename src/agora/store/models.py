"""Store tables: categories (data an admin manages) and the listings discovery reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow

# A tsvector on PostgreSQL; an always-empty TEXT column on SQLite, whose index is FTS5.
_TSVECTOR = Text().with_variant(TSVECTOR(), "postgresql")


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable key used in GPT content and URLs; renaming changes names, never the slug.
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    slug_fr: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    name_fr: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    # Listings in this category, maintained by store.listings.sync (never counted per request).
    listing_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


class Listing(Base):
    """A public GPT as the store shows it: the projection that every discovery path reads.

    Only public, published, live GPTs have a row, so no store query can leak a private GPT
    by forgetting a filter. Texts are copied from the published version (no JSON parsing on
    listing pages); counters are maintained incrementally as usage and ratings arrive.
    """

    __tablename__ = "store_listings"
    __table_args__ = (
        Index("ix_store_listings_trending", "category_id", "trending", "id"),
        Index("ix_store_listings_rating", "category_id", "rating_score", "id"),
        Index("ix_store_listings_used", "category_id", "conversations", "id"),
        Index("ix_store_listings_newest", "category_id", "published_at", "id"),
        Index("ix_store_listings_builder", "builder_id", "conversations"),
        Index("ix_store_listings_all_trending", "trending", "id"),
        # PostgreSQL only: full-text vectors maintained by store.search_index (SQLite uses FTS5),
        # indexed by GIN indexes partial per popularity band (migration 0011).
        *(
            Index(f"ix_store_listings_{vector}_t{low}_{high}", vector, postgresql_using="gin",
                  postgresql_where=text(f"(search_key >> 40) >= {low} AND (search_key >> 40) <= {high}"))
            .ddl_if(dialect="postgresql")
            for vector in ("search_vector", "name_vector")
            for low, high in ((0, 27), (28, 29), (30, 30), (31, 31))
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), unique=True)
    # Popular GPTs get small keys, so the search index can return the most used matches
    # first and stop early (see docs/ranking.md). Changes only when the popularity tier does.
    search_key: Mapped[int | None] = mapped_column(BigInteger, unique=True)  # set right after insert
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    builder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    builder_name: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    name_fr: Mapped[str] = mapped_column(String(60), default="")
    description_fr: Mapped[str] = mapped_column(String(300), default="")
    avatar: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    has_en: Mapped[bool] = mapped_column(default=True)
    has_fr: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    conversations: Mapped[int] = mapped_column(BigInteger, default=0)
    rating_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_score: Mapped[float] = mapped_column(Float, default=0.0)
    trending: Mapped[float] = mapped_column(Float, default=0.0)
    search_vector: Mapped[str | None] = mapped_column(_TSVECTOR, deferred=True)
    name_vector: Mapped[str | None] = mapped_column(_TSVECTOR, deferred=True)

    def text(self, field: str, language: str) -> str:
        if language == "fr":
            translated = getattr(self, f"{field}_fr")
            if translated:
                return translated
        return getattr(self, field)


class FeaturedPick(Base):
    """An admin's pick for one ISO week's featured shelf, chosen ahead of time."""

    __tablename__ = "featured_picks"
    __table_args__ = (UniqueConstraint("iso_year", "iso_week", "gpt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_year: Mapped[int]
    iso_week: Mapped[int]
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    picked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Picked by `agora seed-demo` from the operator's own demo catalogue, whose builders cannot log in
    # and so never verify a domain: the operator vouches for them by seeding, as it lists them
    # (moderation.review.list_seeded). Every other pick needs a verified builder (store.featured).
    seeded: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class FeaturedRequest(Base):
    """A builder's request that one of their GPTs be featured: open until an administrator picks it
    for a week or declines it with a reason. At most one open request per GPT (a double click or a
    retried request finds the open one)."""

    __tablename__ = "featured_requests"
    __table_args__ = (
        Index("uq_featured_requests_open", "gpt_id", unique=True,
              sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),
        Index("ix_featured_requests_state", "state", "created_at"),  # the picker's queue: open requests, oldest first
        Index("ix_featured_requests_gpt", "gpt_id", "id"),  # a GPT's latest request
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    pitch: Mapped[str] = mapped_column(String(280), default="")
    state: Mapped[str] = mapped_column(String(10), default="open")  # open, picked, declined
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    iso_year: Mapped[int | None]  # the week it was picked for
    iso_week: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was declined, shown to the builder

    @property
    def week(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}" if self.iso_year and self.iso_week else ""


class Review(Base):
    """One rating (1-5) and optional review per user per GPT; the builder may reply once."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("gpt_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_gpt_created", "gpt_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BuilderDomain(Base):
    """A website domain a builder claims; verified once Agora fetched its token over HTTPS."""

    __tablename__ = "builder_domains"
    __table_args__ = (UniqueConstraint("user_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    token: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoreState(Base):
    """Named values the store's upkeep keeps between runs (store.state), such as how far
    the listings backfill has got."""

    __tablename__ = "store_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))

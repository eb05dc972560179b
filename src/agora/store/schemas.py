"""JSON shapes of the store API."""

from __future__ import annotations

from pydantic import BaseModel


class StoreItem(BaseModel):
    id: str
    name: str
    description: str
    avatar: str
    category: str | None
    builder: str
    rating: float | None
    rating_count: int
    conversations: str  # a rounded bucket such as "10K+", never the exact count


class SearchPage(BaseModel):
    items: list[StoreItem]
    next_cursor: str | None


class Suggestion(BaseModel):
    id: str
    name: str


class CategoryOut(BaseModel):
    slug: str
    name: str
    count: int

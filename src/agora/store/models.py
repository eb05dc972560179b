"""Store tables. Categories are data an admin manages, not an enum in code."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base


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

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en

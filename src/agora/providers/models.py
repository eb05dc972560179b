"""Providers an operator configures in the admin page, next to the one AGORA_ settings name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class ProviderConfig(Base):
    __tablename__ = "provider_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # An installed entry point of the agora.providers group: "openai" for any OpenAI-compatible server.
    kind: Mapped[str] = mapped_column(String(40))
    base_url: Mapped[str] = mapped_column(String(500), default="")
    # A Fernet token keyed from the secret key (agora.providers.encryption); never the key itself.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    # The names offered in chat and /v1; empty: whatever the provider itself lists.
    models: Mapped[list[str]] = mapped_column(JSON, default=list)
    context_tokens: Mapped[int] = mapped_column(default=8192)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProviderCatalog(Base):
    """One row: the default model, and a stamp every change renews so each worker reloads."""

    __tablename__ = "provider_catalog"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random rather than a counter: a stamp must never repeat, even after the table is emptied.
    stamp: Mapped[str] = mapped_column(String(32))
    default_model: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

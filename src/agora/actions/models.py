"""The actions table: one builder-given OpenAPI document of a GPT, the operations enabled, how calls authenticate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class GptAction(Base):
    __tablename__ = "gpt_actions"

    # Random: it appears in the builder's API and pages.
    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # The document as validated, in JSON (whatever it was given in), and where it was fetched from when given by URL.
    document: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    # Every operation of the document (agora.actions.openapi.Operation.stored), and the operationIds the model is offered.
    operations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    enabled: Mapped[list[str]] = mapped_column(JSON)
    # none, api_key (or oauth): how calls authenticate; `auth` holds where the key goes, never the key.
    auth_type: Mapped[str] = mapped_column(String(10), default="none")
    auth: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The API key, Fernet-encrypted under AGORA_SECRET_KEY (agora.providers.encryption, the actions' purpose).
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The API's privacy policy: required before a GPT with actions is listed in the store.
    privacy_url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

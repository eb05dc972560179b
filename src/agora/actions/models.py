"""The actions tables: a GPT's OpenAPI documents (operations enabled, how calls authenticate), people's OAuth tokens for them."""

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
    # none, api_key or oauth: how calls authenticate; `auth` holds where the key goes (api_key) or the provider's addresses,
    # scope and token exchange method (oauth), never a secret.
    auth_type: Mapped[str] = mapped_column(String(10), default="none")
    auth: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The API key, or the OAuth client's id and secret (JSON), Fernet-encrypted under AGORA_SECRET_KEY
    # (agora.providers.encryption, each with its own purpose).
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The API's privacy policy: required before a GPT with actions is listed in the store.
    privacy_url: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActionToken(Base):
    """One person's OAuth tokens for one action (agora.actions.tokens): encrypted, refreshed when they expire."""

    __tablename__ = "action_tokens"

    action_id: Mapped[str] = mapped_column(ForeignKey("gpt_actions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    access_encrypted: Mapped[str] = mapped_column(Text)
    refresh_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the provider did not say
    scope: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ActionSignIn(Base):
    """A sign-in under way (agora.actions.oauth): what the callback must find again, for ten minutes, used once."""

    __tablename__ = "action_sign_ins"

    # SHA-256 of the `state` sent to the provider: the database alone cannot answer a callback.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("gpt_actions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    verifier_encrypted: Mapped[str] = mapped_column(Text)  # the PKCE code verifier, never sent before the token request
    next: Mapped[str] = mapped_column(String(2000), default="/")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

"""Single sign-on tables: OpenID Connect providers, the identities they vouch for, workspaces' email domains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow

INSTANCE = "instance"  # the owner key of the one instance-wide provider


class SsoProvider(Base):
    """An OpenID Connect provider people sign in with at /auth/oidc/{slug}/login.

    A workspace's provider signs its people into the workspace (group claims give their
    role); the instance-wide one (no workspace) signs anyone in, for the operator.
    """

    __tablename__ = "sso_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # "w<workspace id>" or "instance": one provider per owner, even when two admins save at once.
    owner_key: Mapped[str] = mapped_column(String(20), unique=True)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    # Fernet under a key derived from AGORA_SECRET_KEY (agora.providers.encryption): the database alone reveals nothing.
    client_secret: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(String(200), default="openid email profile")
    groups_claim: Mapped[str] = mapped_column(String(60), default="groups")
    # Group name as the provider sends it -> workspace role ("admin" or "member").
    group_roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SsoIdentity(Base):
    """A provider's subject (`sub`), linked to the Agora account it signs in."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("sso_providers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkspaceDomain(Base):
    """An email domain a workspace claims; once verified, its provider may sign in anyone
    at that domain, and "SSO only" turns password logins off for it."""

    __tablename__ = "workspace_domains"
    __table_args__ = (UniqueConstraint("workspace_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    token: Mapped[str] = mapped_column(String(64))
    # The domain again once verified, unique: one workspace per verified domain, whoever verifies first.
    verified_domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sso_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

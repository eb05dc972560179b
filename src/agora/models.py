"""Imports every domain's tables so SQLAlchemy and Alembic see one complete schema."""

from agora.accounts.models import LoginAttempt, LoginSession, Membership, User, Workspace
from agora.db import Base
from agora.gpts.models import Gpt, GptVersion
from agora.store.models import Category

__all__ = ["Base", "Category", "Gpt", "GptVersion", "LoginAttempt", "LoginSession", "Membership", "User", "Workspace"]

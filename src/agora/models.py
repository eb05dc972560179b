"""Imports every domain's tables so SQLAlchemy and Alembic see one complete schema."""

from agora.accounts.models import ApiKey, LoginAttempt, LoginSession, Membership, User, Workspace
from agora.chat.models import Conversation, Message
from agora.db import Base
from agora.gpts.models import Gpt, GptVersion
from agora.metering.models import UsageRecord
from agora.store.models import BuilderDomain, Category, FeaturedPick, Listing, Review

__all__ = [
    "ApiKey", "Base", "BuilderDomain", "Category", "Conversation", "FeaturedPick", "Gpt", "GptVersion", "Listing",
    "LoginAttempt", "LoginSession", "Membership", "Message", "Review", "UsageRecord", "User", "Workspace",
]

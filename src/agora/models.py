"""Imports every domain's tables so SQLAlchemy and Alembic see one complete schema."""

from agora.accounts.models import LoginAttempt, LoginSession, Membership, User, Workspace
from agora.chat.models import Conversation, Message
from agora.db import Base
from agora.gpts.models import Gpt, GptVersion
from agora.metering.models import UsageRecord
from agora.store.models import Category

__all__ = [
    "Base", "Category", "Conversation", "Gpt", "GptVersion", "LoginAttempt", "LoginSession", "Membership", "Message",
    "UsageRecord", "User", "Workspace",
]

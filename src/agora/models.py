"""Imports every domain's tables so SQLAlchemy and Alembic see one complete schema."""

from agora.accounts.models import ApiKey, LoginAttempt, LoginSession, Membership, User, Workspace
from agora.billing.models import GatewayEvent, Invoice, InvoiceLine, Plan, Subscription, SubscriptionEvent
from agora.chat.models import Conversation, Message
from agora.db import Base
from agora.gpts.models import Gpt, GptVersion
from agora.metering.models import DailyGptUsage, DailyGptUserUsage, MessageSend, QuotaLock, UsageRecord
from agora.providers.models import ProviderCatalog, ProviderConfig
from agora.sso.models import SsoIdentity, SsoProvider, WorkspaceDomain
from agora.store.models import BuilderDomain, Category, FeaturedPick, Listing, Review
from agora.workspaces.models import ActiveWorkspace, Invite, TeamSettings

__all__ = [
    "ApiKey", "Base", "BuilderDomain", "Category", "Conversation", "FeaturedPick", "Gpt", "GptVersion", "Listing",
    "LoginAttempt", "LoginSession", "Membership", "Message", "Review", "UsageRecord", "User", "Workspace",
    "ActiveWorkspace", "DailyGptUsage", "DailyGptUserUsage", "GatewayEvent", "Invite", "Invoice", "InvoiceLine", "MessageSend", "Plan", "ProviderCatalog", "ProviderConfig", "QuotaLock", "Subscription",
    "SsoIdentity", "SsoProvider", "SubscriptionEvent", "TeamSettings", "WorkspaceDomain",
]

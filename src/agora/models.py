"""Imports every domain's tables so SQLAlchemy and Alembic see one complete schema."""

from agora.accounts.models import ApiKey, LoginAttempt, LoginSession, Membership, User, Workspace
from agora.actions.models import GptAction
from agora.audit.models import AuditChain, AuditEntry
from agora.billing.models import GatewayEvent, Invoice, InvoiceLine, Plan, Subscription, SubscriptionEvent
from agora.chat.models import Conversation, Message
from agora.credits.models import CreditHold
from agora.db import Base
from agora.demo.models import DemoActivity
from agora.gpts.models import Gpt, GptVersion
from agora.inventory.models import GptHeir
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument, KnowledgeFile, KnowledgeVersionFile
from agora.ledger.models import LedgerAccount, LedgerEntry, LedgerLeg
from agora.mcp_servers.models import McpServer, McpServerUse, McpTool
from agora.metering.models import DailyGptUsage, DailyGptUserUsage, MessageSend, QuotaLock, UsageRecord
from agora.moderation.models import Fingerprint, FingerprintBand, Moderator, Report, ReviewCase
from agora.payouts.models import Payout, PayoutProfile, PayoutSkip, PoolMonth, PoolShare
from agora.providers.models import ProviderCatalog, ProviderConfig
from agora.retention.models import RetentionPolicy
from agora.scim.models import ScimGroup, ScimGroupMember, ScimToken, ScimUser
from agora.sso.models import SsoIdentity, SsoProvider, WorkspaceDomain
from agora.store.models import BuilderDomain, Category, FeaturedPick, FeaturedRequest, Listing, Review
from agora.team_store.models import TeamStoreCategory, TeamStoreEntry
from agora.tools.models import ToolAllowance
from agora.workspaces.models import ActiveWorkspace, Invite, TeamSettings

__all__ = [
    "ActiveWorkspace",
    "ApiKey",
    "AuditChain",
    "AuditEntry",
    "Base",
    "BuilderDomain",
    "Category",
    "Conversation",
    "CreditHold",
    "DailyGptUsage",
    "DailyGptUserUsage",
    "DemoActivity",
    "FeaturedPick",
    "FeaturedRequest",
    "Fingerprint",
    "FingerprintBand",
    "GatewayEvent",
    "Gpt",
    "GptAction",
    "GptHeir",
    "GptVersion",
    "Invite",
    "Invoice",
    "InvoiceLine",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "KnowledgeFile",
    "KnowledgeVersionFile",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerLeg",
    "Listing",
    "LoginAttempt",
    "LoginSession",
    "McpServer",
    "McpServerUse",
    "McpTool",
    "Membership",
    "Message",
    "MessageSend",
    "Moderator",
    "Payout",
    "PayoutProfile",
    "PayoutSkip",
    "Plan",
    "PoolMonth",
    "PoolShare",
    "ProviderCatalog",
    "ProviderConfig",
    "QuotaLock",
    "Report",
    "RetentionPolicy",
    "Review",
    "ReviewCase",
    "ScimGroup",
    "ScimGroupMember",
    "ScimToken",
    "ScimUser",
    "SsoIdentity",
    "SsoProvider",
    "Subscription",
    "SubscriptionEvent",
    "TeamSettings",
    "TeamStoreCategory",
    "TeamStoreEntry",
    "ToolAllowance",
    "UsageRecord",
    "User",
    "Workspace",
    "WorkspaceDomain",
]

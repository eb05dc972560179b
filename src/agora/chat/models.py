"""Conversation tables: a user's conversation with a GPT and its messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow

# streaming: being written now; complete; stopped: cut short by the user or a disconnect,
# partial text kept; failed: the model server failed, `error` says why; waiting: written so far,
# waiting for the person to allow or deny consequential tool calls (agora.replies.waiting).
STATUSES = ("streaming", "complete", "stopped", "failed", "waiting")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_user_updated", "user_id", "updated_at"),
        Index("ix_conversations_gpt_updated", "gpt_id", "updated_at"),  # retention: a workspace's GPTs, by last activity
    )

    # Random and unguessable: it appears in URLs, and a wrong guess must find nothing.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id"))
    title: Mapped[str] = mapped_column(String(120), default="")
    # A read-only snapshot by link: messages up to `shared_upto` are visible at /s/{share_token}.
    share_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    shared_upto: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # Ids are never reused after a regenerate deletes a reply: usage records point at them.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))  # user or assistant
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="complete")
    error: Mapped[str] = mapped_column(String(500), default="")
    # Which GPT answered (the conversation's own, or one @-mentioned) and its published version.
    gpt_id: Mapped[str | None] = mapped_column(ForeignKey("gpts.id"))
    gpt_version: Mapped[int | None]
    model: Mapped[str] = mapped_column(String(100), default="")
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    latency_ms: Mapped[int] = mapped_column(default=0)
    # The model's reason for ending a complete reply: "length" means the token limit cut it (the chat offers "Continue").
    finish_reason: Mapped[str | None] = mapped_column(String(20))
    # Earlier messages left out of the prompt because they did not fit the context window.
    omitted_messages: Mapped[int] = mapped_column(default=0)
    # Set by a stop request: the worker streaming the reply may be another process.
    stop_requested: Mapped[bool] = mapped_column(default=False)
    # While streaming: the worker writing it ("host:pid:nonce") and until when it holds the reply (chat.owners).
    owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The GPT's tools the reply used, as the chat shows them: [{"name", "summary", "ok"}] (None: none).
    tool_uses: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The numbered sources the reply cites: file name, page and the quoted passage (agora.knowledge.citations).
    citations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # While `waiting`: the calls to decide on and what the reply continues from (agora.replies.waiting.Waiting.stored).
    waiting: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

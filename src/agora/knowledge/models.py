"""Knowledge tables: stored documents (one per owner and content), the files on GPTs, versions' files, chunks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from agora.db import Base, UTCDateTime, utcnow


class KnowledgeDocument(Base):
    """A file's content as stored and indexed: one per owner, SHA-256 and chunking, shared by every GPT of the owner holding it.

    Also the ingestion job: its status, progress and lease live on the row, so a job survives restarts
    (a worker that dies leaves a lease that runs out, and another worker starts the document over).
    """

    __tablename__ = "knowledge_documents"
    __table_args__ = (
        UniqueConstraint("owner_id", "sha256", "chunk_tokens", "chunk_overlap"),
        # Workers look for work among the documents not yet ready.
        Index("ix_knowledge_documents_status", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # pdf, docx, html, csv, json, markdown, text
    chunk_tokens: Mapped[int] = mapped_column(Integer)
    chunk_overlap: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, parsing, embedding, ready, failed
    error: Mapped[str] = mapped_column(String(500), default="")  # why it failed, or why it waits (embedding server down)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    chunks_total: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(200), default="")  # the embedder that made its vectors
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a retry after the embedding server failed waits until then
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KnowledgeFile(Base):
    """A file on a GPT: its name as uploaded and its document. `removed_at`: gone from the draft, kept for the versions holding it."""

    __tablename__ = "knowledge_files"
    __table_args__ = (Index("ix_knowledge_files_gpt", "gpt_id", "removed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gpt_id: Mapped[str] = mapped_column(ForeignKey("gpts.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("knowledge_documents.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KnowledgeVersionFile(Base):
    """The files a published version answers from, frozen when it was published."""

    __tablename__ = "knowledge_version_files"

    version_id: Mapped[int] = mapped_column(ForeignKey("gpt_versions.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("knowledge_files.id", ondelete="CASCADE"), primary_key=True, index=True)


class KnowledgeChunk(Base):
    """A passage of a document: its text, page (None where a format has none), keyword terms and vector."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (UniqueConstraint("document_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("knowledge_documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Folded words with their English and French stems: what keyword search matches (both databases alike).
    terms: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32, L2-normalised

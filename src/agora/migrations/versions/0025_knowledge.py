"""Knowledge: documents (also their ingestion jobs), files on GPTs, versions' files, chunks and their keyword index

Keyword search over chunks uses the databases' own full-text machinery on the `terms` column
(folded words and their English and French stems, the same on both): an FTS5 table on SQLite
whose rowid is the chunk's id, a GIN index over a 'simple' tsvector on PostgreSQL. A reply's
citations are kept with it (messages.citations).

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("chunk_tokens", sa.Integer(), nullable=False),
        sa.Column("chunk_overlap", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_knowledge_documents_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_documents")),
        sa.UniqueConstraint("owner_id", "sha256", "chunk_tokens", "chunk_overlap",
                            name=op.f("uq_knowledge_documents_owner_id")),
    )
    op.create_index("ix_knowledge_documents_status", "knowledge_documents", ["status", "not_before"], unique=False)
    op.create_table(
        "knowledge_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gpt_id", sa.String(length=13), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["knowledge_documents.id"], name=op.f("fk_knowledge_files_document_id_knowledge_documents")),
        sa.ForeignKeyConstraint(["gpt_id"], ["gpts.id"], name=op.f("fk_knowledge_files_gpt_id_gpts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_files")),
    )
    op.create_index("ix_knowledge_files_gpt", "knowledge_files", ["gpt_id", "removed_at"], unique=False)
    op.create_index(op.f("ix_knowledge_files_document_id"), "knowledge_files", ["document_id"], unique=False)
    op.create_table(
        "knowledge_version_files",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["knowledge_files.id"], name=op.f("fk_knowledge_version_files_file_id_knowledge_files"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["gpt_versions.id"], name=op.f("fk_knowledge_version_files_version_id_gpt_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "file_id", name=op.f("pk_knowledge_version_files")),
    )
    op.create_index(op.f("ix_knowledge_version_files_file_id"), "knowledge_version_files", ["file_id"], unique=False)
    op.create_table(
        "knowledge_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["knowledge_documents.id"], name=op.f("fk_knowledge_chunks_document_id_knowledge_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_chunks")),
        sa.UniqueConstraint("document_id", "ordinal", name=op.f("uq_knowledge_chunks_document_id")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_knowledge_chunks_terms ON knowledge_chunks USING gin (to_tsvector('simple', terms))")
    else:
        # Contentless would save the copy of the terms, but deleting rows from one needs SQLite 3.43; the rowid is the chunk's id.
        op.execute("CREATE VIRTUAL TABLE knowledge_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("citations", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: it keeps AUTOINCREMENT, so a deleted reply's id is never reused.
    with op.batch_alter_table("messages", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("citations")
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE knowledge_fts")
    op.drop_table("knowledge_chunks")
    op.drop_index(op.f("ix_knowledge_version_files_file_id"), table_name="knowledge_version_files")
    op.drop_table("knowledge_version_files")
    op.drop_index(op.f("ix_knowledge_files_document_id"), table_name="knowledge_files")
    op.drop_index("ix_knowledge_files_gpt", table_name="knowledge_files")
    op.drop_table("knowledge_files")
    op.drop_index("ix_knowledge_documents_status", table_name="knowledge_documents")
    op.drop_table("knowledge_documents")

"""Store: listings with their search index, featured picks, reviews, builder domains

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
# Kept in step with agora.store.search_index.SQLITE_DDL (a migration must not import app code).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE store_fts USING fts5(name, name_fr, description, description_fr, tags, builder_name, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4')"
)


def upgrade() -> None:
    op.create_table('builder_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_builder_domains_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_builder_domains')),
    sa.UniqueConstraint('user_id', 'domain', name=op.f('uq_builder_domains_user_id'))
    )
    op.create_table('featured_picks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iso_year', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.Integer(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('picked_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gpt_id'], ['gpts.id'], name=op.f('fk_featured_picks_gpt_id_gpts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['picked_by'], ['users.id'], name=op.f('fk_featured_picks_picked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_featured_picks')),
    sa.UniqueConstraint('iso_year', 'iso_week', 'gpt_id', name=op.f('uq_featured_picks_iso_year'))
    )
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
    sa.ForeignKeyConstraint(['gpt_id'], ['gpts.id'], name=op.f('fk_reviews_gpt_id_gpts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('gpt_id', 'user_id', name=op.f('uq_reviews_gpt_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_gpt_created', ['gpt_id', 'created_at'], unique=False)

    op.create_table('store_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gpt_id', sa.String(length=13), nullable=False),
    sa.Column('search_key', sa.BigInteger(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('builder_id', sa.Integer(), nullable=False),
    sa.Column('builder_name', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('name_fr', sa.String(length=60), nullable=False),
    sa.Column('description_fr', sa.String(length=300), nullable=False),
    sa.Column('avatar', sa.String(length=200), nullable=False),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('has_en', sa.Boolean(), nullable=False),
    sa.Column('has_fr', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('conversations', sa.BigInteger(), nullable=False),
    sa.Column('rating_sum', sa.BigInteger(), nullable=False),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('rating_score', sa.Float(), nullable=False),
    sa.Column('trending', sa.Float(), nullable=False),
    sa.Column('search_vector', VECTOR, nullable=True),
    sa.Column('name_vector', VECTOR, nullable=True),
    sa.ForeignKeyConstraint(['builder_id'], ['users.id'], name=op.f('fk_store_listings_builder_id_users')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_store_listings_category_id_categories')),
    sa.ForeignKeyConstraint(['gpt_id'], ['gpts.id'], name=op.f('fk_store_listings_gpt_id_gpts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_listings')),
    sa.UniqueConstraint('gpt_id', name=op.f('uq_store_listings_gpt_id')),
    sa.UniqueConstraint('search_key', name=op.f('uq_store_listings_search_key'))
    )
    with op.batch_alter_table('store_listings', schema=None) as batch_op:
        batch_op.create_index('ix_store_listings_all_trending', ['trending', 'id'], unique=False)
        batch_op.create_index('ix_store_listings_builder', ['builder_id', 'conversations'], unique=False)
        batch_op.create_index('ix_store_listings_newest', ['category_id', 'published_at', 'id'], unique=False)
        batch_op.create_index('ix_store_listings_rating', ['category_id', 'rating_score', 'id'], unique=False)
        batch_op.create_index('ix_store_listings_trending', ['category_id', 'trending', 'id'], unique=False)
        batch_op.create_index('ix_store_listings_used', ['category_id', 'conversations', 'id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_store_listings_search_vector", "store_listings", ["search_vector"], postgresql_using="gin")
        op.create_index("ix_store_listings_name_vector", "store_listings", ["name_vector"], postgresql_using="gin")
    else:
        op.execute(SQLITE_FTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS store_fts")
    op.drop_table("store_listings")
    op.drop_table("reviews")
    op.drop_table("featured_picks")
    op.drop_table("builder_domains")

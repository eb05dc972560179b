"""Store search indexes hold only what matching needs: one lexeme per word on PostgreSQL,
row ids alone on SQLite

Search no longer asks the databases to rank (store.relevance scores the candidates in
Python), so what the indexes kept for ranking only costs.

PostgreSQL: the search vector was five configurations (english and french stems, simple
words, weighted per field), so a query word was an OR of up to three lexemes, and GIN,
finding the entries it must walk for `(a | a2) & (b | b2) & (c | c2)`, walked the union of
the three rarest lists instead of the rarest one: a query of three common words read
~215,000 entries of the never-used band to find 314 matches (52 ms). One configuration,
`agora_search` (accents removed by `unaccent`, English Snowball stems, no stop words, as
SQLite's porter tokenizer does), makes each word one lexeme; the names' vector uses
`agora_names` (accents removed, words as typed) for type-ahead prefixes. Both vectors are
now computed from the listing's stored columns, in SQL, so they are rebuilt here in place
(their GIN indexes dropped first and built again after: minutes on a store of millions).
`unaccent` ships with PostgreSQL (contrib) and is a trusted extension: the database's
owner may create it. The search_key column's statistics target goes to 1,000 (search
plans its reads from that histogram; ANALYZE then samples 300,000 listings, seconds).

SQLite: nothing reads the positions and columns FTS5 stored for each word of each
listing, nor searches `store_fts` by prefix (type-ahead reads `store_names_fts`). With
`detail=none` and no `prefix=` on it, the index of 3 M GPTs is 153 MB instead of 2 GB and
builds in a quarter of the time; matching is unchanged. Both tables are created again and
rebuilt from store_listings.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIER_BITS = 40  # agora.store.ranking.TIER_BITS
BANDS = ((0, 27), (28, 29), (30, 30), (31, 31))  # agora.store.search_postgres.BANDS
VECTORS = ("search_vector", "name_vector")

# Kept in step with agora.store.search_index and search_postgres (a migration must not import app code).
WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart"
POSTGRES_CONFIGURATION = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH DICTIONARY agora_english_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION agora_search (COPY = pg_catalog.simple)",
    f"ALTER TEXT SEARCH CONFIGURATION agora_search ALTER MAPPING FOR {WORD_TOKENS} WITH unaccent, agora_english_stem",
    "CREATE TEXT SEARCH CONFIGURATION agora_names (COPY = pg_catalog.simple)",
    f"ALTER TEXT SEARCH CONFIGURATION agora_names ALTER MAPPING FOR {WORD_TOKENS} WITH unaccent, simple",
)
SEARCH_KEY_STATISTICS = 1000
TIER_LEXEME = f"array_to_tsvector(ARRAY['~' || (search_key >> {TIER_BITS})::text])"
SEARCH_VECTOR = (
    "to_tsvector('agora_search', concat_ws(' ', name, name_fr, tags, description, description_fr, builder_name)) || "
    + TIER_LEXEME
)
NAME_VECTOR = "to_tsvector('agora_names', concat_ws(' ', name, name_fr)) || " + TIER_LEXEME

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE store_fts USING fts5(name, name_fr, description, description_fr, tags, builder_name, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='porter unicode61 remove_diacritics 2', detail=none)"
)
SQLITE_NAMES_FTS = (
    "CREATE VIRTUAL TABLE store_names_fts USING fts5(name, name_fr, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5', detail=none)"
)
# The previous SQLite definitions (migrations 0004 and 0011), for downgrade.
OLD_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE store_fts USING fts5(name, name_fr, description, description_fr, tags, builder_name, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4')"
)
OLD_SQLITE_NAMES_FTS = (
    "CREATE VIRTUAL TABLE store_names_fts USING fts5(name, name_fr, "
    "content='store_listings', content_rowid='search_key', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5')"
)


def _band_indexes(create: bool) -> None:
    for vector in VECTORS:
        for low, high in BANDS:
            name = f"ix_store_listings_{vector}_t{low}_{high}"
            tier = f"(search_key >> {TIER_BITS})"
            op.execute(
                f"CREATE INDEX {name} ON store_listings USING gin ({vector}) WHERE {tier} >= {low} AND {tier} <= {high}"
                if create else f"DROP INDEX {name}"
            )


def _recreate_sqlite(definitions: tuple[str, str]) -> None:
    for table, definition in zip(("store_fts", "store_names_fts"), definitions, strict=True):
        op.execute(f"DROP TABLE IF EXISTS {table}")
        op.execute(definition)
        op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _recreate_sqlite((SQLITE_FTS, SQLITE_NAMES_FTS))
        return
    for statement in POSTGRES_CONFIGURATION:
        op.execute(statement)
    _band_indexes(create=False)  # one sorted build each beats updating them row by row
    op.execute(f"UPDATE store_listings SET search_vector = {SEARCH_VECTOR}, name_vector = {NAME_VECTOR}")
    _band_indexes(create=True)
    # Search plans its reads from the search_key histogram: with the default hundred
    # buckets, the busiest band's tiers (2.5 % of the listings together) are invisible.
    op.execute(f"ALTER TABLE store_listings ALTER COLUMN search_key SET STATISTICS {SEARCH_KEY_STATISTICS}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _recreate_sqlite((OLD_SQLITE_FTS, OLD_SQLITE_NAMES_FTS))
        return
    # The old vectors were built from texts folded in Python; lower(unaccent()) is close.
    folded = {c: f"lower(unaccent({c}))" for c in ("name", "name_fr", "tags", "description", "description_fr", "builder_name")}
    old_vector = (
        "setweight(to_tsvector('english', {name}), 'A') || setweight(to_tsvector('french', {name_fr}), 'A') || "
        "setweight(to_tsvector('simple', {name} || ' ' || {name_fr}), 'A') || setweight(to_tsvector('simple', {tags}), 'B') || "
        "setweight(to_tsvector('english', {description}), 'C') || setweight(to_tsvector('french', {description_fr}), 'C') || "
        "setweight(to_tsvector('simple', {builder_name}), 'D') || "
    ).format(**folded) + TIER_LEXEME
    old_name_vector = "to_tsvector('simple', {name} || ' ' || {name_fr}) || ".format(**folded) + TIER_LEXEME
    op.execute("ALTER TABLE store_listings ALTER COLUMN search_key SET STATISTICS -1")
    _band_indexes(create=False)
    op.execute(f"UPDATE store_listings SET search_vector = {old_vector}, name_vector = {old_name_vector}")
    _band_indexes(create=True)
    for statement in ("DROP TEXT SEARCH CONFIGURATION agora_names", "DROP TEXT SEARCH CONFIGURATION agora_search",
                      "DROP TEXT SEARCH DICTIONARY agora_english_stem"):
        op.execute(statement)

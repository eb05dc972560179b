"""The double-entry ledger: accounts, entries and their legs, balanced and append-only

PostgreSQL enforces it itself: a constraint trigger, deferred to the commit, refuses an entry
whose legs do not sum to zero (or number fewer than two, or mix currencies), and triggers
refuse any UPDATE or DELETE of entries and legs. SQLite has no deferred triggers: the one
function that writes entries (agora.ledger.service.post) checks the sums, and triggers refuse
updates and deletes there too.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTIONS = [
    """
CREATE FUNCTION agora_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% are append-only: correct an entry with a reversal', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$
""",
    """
CREATE FUNCTION agora_ledger_entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry bigint;
  total numeric;
  legs integer;
  mixed integer;
BEGIN
  IF TG_TABLE_NAME = 'ledger_entries' THEN  -- each branch is planned only when taken: NEW has one of the two columns
    entry := NEW.id;
  ELSE
    entry := NEW.entry_id;
  END IF;
  SELECT coalesce(sum(amount), 0), count(*) INTO total, legs FROM ledger_legs WHERE entry_id = entry;
  IF legs < 2 OR total <> 0 THEN
    RAISE EXCEPTION 'ledger entry % does not balance: % legs summing to %', entry, legs, total USING ERRCODE = 'check_violation';
  END IF;
  SELECT count(*) INTO mixed FROM ledger_legs l JOIN ledger_accounts a ON a.id = l.account_id JOIN ledger_entries e ON e.id = l.entry_id
   WHERE l.entry_id = entry AND a.currency <> e.currency;
  IF mixed > 0 THEN
    RAISE EXCEPTION 'ledger entry % has legs on accounts in another currency', entry USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
""",
]
PG_TRIGGERS = [
    ("CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries DEFERRABLE INITIALLY DEFERRED "
     "FOR EACH ROW EXECUTE FUNCTION agora_ledger_entry_balances()"),
    ("CREATE CONSTRAINT TRIGGER ledger_legs_balance AFTER INSERT ON ledger_legs DEFERRABLE INITIALLY DEFERRED "
     "FOR EACH ROW EXECUTE FUNCTION agora_ledger_entry_balances()"),
    *(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION agora_ledger_append_only()"
      for table in ("ledger_entries", "ledger_legs")),
    *(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION agora_ledger_append_only()"
      for table in ("ledger_entries", "ledger_legs")),
]
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: correct an entry with a reversal'); END"
    for table in ("ledger_entries", "ledger_legs") for action in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_ledger_accounts_currency_code")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_ledger_accounts_owner_id_users"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_accounts_code")),
    )
    op.create_index(op.f("ix_ledger_accounts_owner_id"), "ledger_accounts", ["owner_id"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reverses_id"], ["ledger_entries.id"], name=op.f("fk_ledger_entries_reverses_id_ledger_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entries_reverses_id")),
    )
    op.create_table(
        "ledger_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_legs_amount_not_zero")),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_legs_account_id_ledger_accounts"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"], name=op.f("fk_ledger_legs_entry_id_ledger_entries"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_legs")),
    )
    op.create_index(op.f("ix_ledger_legs_entry_id"), "ledger_legs", ["entry_id"], unique=False)
    op.create_index("ix_ledger_legs_account_id_entry_id", "ledger_legs", ["account_id", "entry_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*PG_FUNCTIONS, *PG_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    # Dropping the tables drops their triggers on both databases.
    op.drop_table("ledger_legs")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_accounts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION agora_ledger_entry_balances()")
        op.execute("DROP FUNCTION agora_ledger_append_only()")

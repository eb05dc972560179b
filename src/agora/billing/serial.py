"""One billing change at a time per workspace: what a change reads is what it changes.

A change reads the subscription, decides (start, prorate, no-op, replay a retried request)
and writes. Two at once would both read the same state and both bill: 20 clicks made 20
invoices. Every entry point that changes a workspace's billing (the pricing page and the
JSON API, the Stripe webhook, an admin marking an invoice paid, the operator's CLI) calls
`begin` before its first statement and `hold` before it reads the subscription:

- PostgreSQL: `hold` locks the workspace's row (`FOR NO KEY UPDATE`: rows that only refer
  to the workspace, a conversation or a member, are still inserted meanwhile). The next
  change of that workspace waits for this transaction to end, then reads what it wrote.
- SQLite has one writer at a time for the whole database: `begin` starts the transaction
  with `BEGIN IMMEDIATE`, so it holds the write lock before reading anything.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora.accounts.models import Workspace
from agora.db import BEGIN_IMMEDIATE, begin_writing


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def begin(session: Session) -> None:
    """Before the session's first statement: on SQLite, start its transaction as the database's writer."""
    begin_writing(session)


def hold(session: Session, workspace_id: int) -> None:
    """No other billing change of this workspace runs until this transaction ends."""
    if not _sqlite(session):
        session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update(key_share=True))
    elif not session.connection().get_execution_options().get(BEGIN_IMMEDIATE):
        # A caller that read before `begin` (an operator's command, a test): take the write lock
        # now. Should another writer have committed since this transaction's first read, SQLite
        # refuses this write at once ("database is locked"), so nothing is billed from a stale read.
        session.execute(update(Workspace).where(Workspace.id == workspace_id).values(name=Workspace.name))

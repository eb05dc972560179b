"""Audit retention: entries older than AGORA_AUDIT_RETENTION_DAYS are deleted, the chain still verifiable.

The head remembers the last pruned entry and its hash, and a checkpoint entry appended to
the chain says the same: verify starts from there, and notices if anyone moves the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agora.audit import chain
from agora.audit.models import AuditEntry
from agora.db import rows_changed


def prune(session: Session, *, days: int, now: datetime) -> int:
    """Delete the entries older than `days` (keeping the newest, which the head points at); how many."""
    cutoff = now - timedelta(days=days)
    oldest = session.scalar(select(func.min(AuditEntry.at)))
    if oldest is None or oldest >= cutoff:
        return 0  # the usual answer, found without locking the chain (appends, and a test's TRUNCATE, go on)
    session.commit()  # ends the read: on SQLite a transaction that read cannot then take the write lock once another wrote
    head = chain.lock_head(session)  # appends wait: what is pruned and the checkpoint are one step
    through = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.at < cutoff, AuditEntry.seq < head.last_seq))
    if through is None or through <= head.pruned_through:
        return 0
    through_hash = session.scalars(select(AuditEntry.hash).where(AuditEntry.seq == through)).one()
    deleted = rows_changed(session.execute(delete(AuditEntry).where(AuditEntry.seq <= through)))
    head.pruned_through, head.pruned_hash = through, through_hash
    session.flush()
    chain.record(session, chain.PRUNED, actor_label="system", target_type="audit", target_id=through,
                 details={"through_seq": through, "through_hash": through_hash, "deleted": deleted, "retention_days": days})
    return deleted

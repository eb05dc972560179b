"""Appending to the audit chain, and checking it: each entry carries the hash of the one before.

An entry is written in the transaction of what it records (both commit, or neither). Appends
take turns on the chain's head row: UPDATE ... RETURNING locks it until commit (a row lock on
PostgreSQL, the write lock on SQLite), so two writers at once can never link to the same entry;
the unique prev_hash would refuse it even if they did.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit.models import GENESIS, AuditChain, AuditEntry
from agora.db import insert_for, utcnow

HEAD = 1
__all__ = ["GENESIS", "AuditChain", "AuditEntry", "digest", "lock_head", "record", "verify"]
PRUNED = "audit.pruned"  # the checkpoint entry retention writes
BATCH = 1000  # entries read at a time by verify


def digest(entry: AuditEntry) -> str:
    """SHA-256 over every field a reader relies on, and the previous entry's hash."""
    fields = [entry.seq, entry.at.isoformat(timespec="microseconds"), entry.workspace_id, entry.actor_id, entry.actor,
              entry.action, entry.target_type, entry.target_id, entry.details, entry.ip, entry.prev_hash]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(session: Session, action: str, *, actor: User | None = None, actor_label: str = "", workspace_id: int | None = None,
           target_type: str = "", target_id: str | int = "", details: dict[str, Any] | None = None, ip: str = "") -> AuditEntry:
    """Append one entry, in the caller's transaction; the chain stays locked until it commits."""
    head = lock_head(session)
    entry = AuditEntry(
        seq=head.last_seq + 1, at=utcnow(), workspace_id=workspace_id,
        actor_id=actor.id if actor is not None else None,
        actor=(actor_label or (actor.email if actor is not None else "system"))[:254],
        action=action, target_type=target_type, target_id=str(target_id)[:64], details=details or {}, ip=ip[:45], prev_hash=head.last_hash,
    )
    entry.hash = digest(entry)
    session.add(entry)
    head.last_seq, head.last_hash = entry.seq, entry.hash
    session.flush()
    return entry


def lock_head(session: Session) -> AuditChain:
    """The chain's head, locked until the transaction ends, as it is now (not as this session last read it)."""
    touch = update(AuditChain).where(AuditChain.id == HEAD).values(last_seq=AuditChain.last_seq).returning(AuditChain.id)
    if session.execute(touch).first() is None:  # tables emptied by hand (migration 0027 writes the head): the chain starts again
        session.execute(insert_for(session)(AuditChain).values(id=HEAD, last_seq=0, last_hash=GENESIS, pruned_through=0, pruned_hash=GENESIS)
                        .on_conflict_do_nothing(index_elements=["id"]))
        session.execute(touch).one()
    head = session.get(AuditChain, HEAD, populate_existing=True)
    assert head is not None
    return head


@dataclass(frozen=True)
class Break:
    """The first place the chain is not what it should be."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    checked: int
    first_seq: int | None
    last_seq: int | None
    broken: Break | None


def verify(session: Session) -> Verdict:
    """Walk the chain from its start (or the last pruning's checkpoint) to the head: every entry
    present, unedited, linked to the one before; the head pointing at the last.

    Reads one snapshot (REPEATABLE READ on PostgreSQL; a SQLite transaction is one already), so
    entries appended meanwhile are not mistaken for tampering."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head = session.get(AuditChain, HEAD) or AuditChain(id=HEAD, last_seq=0, last_hash=GENESIS, pruned_through=0, pruned_hash=GENESIS)
    walk = _Walk(seq=head.pruned_through + 1, prev=head.pruned_hash)
    while True:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.seq >= walk.seq, AuditEntry.seq <= head.last_seq)
                                  .order_by(AuditEntry.seq).limit(BATCH)).all()
        for entry in entries:
            if problem := _check(entry, walk.seq, walk.prev):
                return Verdict(walk.checked, walk.first, None, problem)
            walk.step(entry)
        if len(entries) < BATCH:
            break
    end = walk.seq - 1
    return Verdict(walk.checked, walk.first, end or None, _check_end(session, head, walk))


@dataclass
class _Walk:
    seq: int  # the entry expected next
    prev: str  # the hash it must link to
    checked: int = 0
    first: int | None = None
    checkpoint: AuditEntry | None = None  # the last pruning's

    def step(self, entry: AuditEntry) -> None:
        self.first = self.first or entry.seq
        if entry.action == PRUNED:
            self.checkpoint = entry
        self.checked, self.seq, self.prev = self.checked + 1, entry.seq + 1, entry.hash


def _check_end(session: Session, head: AuditChain, walk: _Walk) -> Break | None:
    """Where the walk ended against what the head says: nothing after it, nothing missing, the start where pruning left it."""
    end = walk.seq - 1
    if session.scalar(select(AuditEntry.seq).where(AuditEntry.seq > head.last_seq).limit(1)) is not None:
        return Break(head.last_seq + 1, "written after the chain's head: the head was moved back or the entry added by hand")
    if end < head.last_seq:
        return Break(end + 1, f"missing: the chain ends at entry {end} but its head says {head.last_seq} were written (the last entries were deleted)")
    if walk.prev != head.last_hash:
        return Break(end, "does not match the chain's head (the entry or the head was edited)")
    checkpoint = walk.checkpoint.details if walk.checkpoint else {}
    if head.pruned_through and (checkpoint.get("through_seq"), checkpoint.get("through_hash")) != (head.pruned_through, head.pruned_hash):
        return Break(head.pruned_through + 1, "the chain's start was moved: the last pruning checkpoint does not say the entries before it were pruned")
    return None


def _check(entry: AuditEntry, expected_seq: int, expected_prev: str) -> Break | None:
    if entry.seq != expected_seq:  # the walk reads seq >= expected_seq: a larger one means some are gone
        return Break(expected_seq, f"missing (deleted): entry {entry.seq} comes after entry {expected_seq - 1}")
    if entry.hash != digest(entry):
        return Break(entry.seq, "edited: its content does not match its hash")
    if entry.prev_hash != expected_prev:
        return Break(entry.seq, f"does not follow entry {entry.seq - 1}: it links to another hash (entry {entry.seq - 1} was edited or replaced)")
    return None

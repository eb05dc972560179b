"""The audit chain: appends link each entry to the one before, two writers at once cannot fork
it, verify names the first edited or deleted entry, and pruning keeps it verifiable."""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
from datetime import timedelta

from sqlalchemy import delete, select, update

from agora.audit import chain, retention
from agora.audit.models import AuditChain, AuditEntry
from agora.db import utcnow
from tests.conftest import AGORA


def _append(database, n: int, action: str = "test.appended") -> None:
    for i in range(n):
        with database.session() as session:
            chain.record(session, action, actor_label="test", details={"i": i})


def _verify_cli(database) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATABASE_URL=str(database.engine.url.render_as_string(hide_password=False)), AGORA_SECRET_KEY="x" * 40)
    return subprocess.run([AGORA, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)


def _verdict(database) -> chain.Verdict:
    with database.session() as session:
        return chain.verify(session)


def test_entries_link_and_verify_passes_on_an_intact_chain(database):
    _append(database, 5)
    with database.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert entries[0].prev_hash == chain.GENESIS
        assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    verdict = _verdict(database)
    assert verdict.broken is None and verdict.checked == 5
    run = _verify_cli(database)
    assert run.returncode == 0, run.stderr
    assert "intact: 5 entries" in run.stdout


def test_an_edited_entry_is_named_by_verify(database):
    _append(database, 6)
    with database.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(details={"i": 99}))
    verdict = _verdict(database)
    assert verdict.broken is not None and verdict.broken.seq == 4 and "edited" in verdict.broken.problem
    run = _verify_cli(database)
    assert run.returncode == 1 and "entry 4: edited" in run.stderr, run.stderr


def test_an_edit_with_its_hash_recomputed_is_caught_at_the_next_link(database):
    _append(database, 4)
    with database.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        entry.actor = "someone else"
        entry.hash = chain.digest(entry)
    verdict = _verdict(database)
    assert verdict.broken.seq == 3 and "entry 2 was edited" in verdict.broken.problem


def test_a_deleted_entry_is_named_by_verify(database):
    _append(database, 6)
    with database.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    run = _verify_cli(database)
    assert run.returncode == 1 and "entry 3: missing" in run.stderr, run.stderr
    with database.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 1))
    assert _verdict(database).broken.seq == 1


def test_deleting_the_last_entries_is_detected_against_the_head(database):
    _append(database, 5)
    with database.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq >= 4))
    verdict = _verdict(database)
    assert verdict.broken.seq == 4 and "missing" in verdict.broken.problem


def test_two_writers_at_once_never_fork_the_chain(database):
    """Eight threads append 15 entries each, all released together: 120 entries, one chain."""
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for i in range(15):
                with database.session() as session:
                    chain.record(session, "test.concurrent", actor_label=f"writer {number}", details={"i": i})
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    with database.session() as session:
        seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
        assert seqs == list(range(1, 121))
        assert session.get(AuditChain, chain.HEAD).last_seq == 120
    assert _verdict(database).broken is None


def test_an_entry_is_written_with_what_it_records_or_not_at_all(database):
    _append(database, 1)
    try:
        with database.session() as session:
            chain.record(session, "test.rolled_back", actor_label="test")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    _append(database, 1)
    with database.session() as session:
        assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all() == ["test.appended", "test.appended"]
    assert _verdict(database).broken is None


def test_pruning_keeps_the_chain_verifiable_and_moving_its_start_is_detected(database, monkeypatch):
    long_ago = utcnow() - timedelta(days=400)
    monkeypatch.setattr(chain, "utcnow", lambda: long_ago)
    _append(database, 6)  # the first six are from long ago
    monkeypatch.undo()
    _append(database, 4)
    assert _verdict(database).broken is None

    with database.session() as session:
        assert retention.prune(session, days=365, now=utcnow()) == 6
    with database.session() as session:
        assert session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all() == [7, 8, 9, 10, 11]
        checkpoint = session.scalar(select(AuditEntry).where(AuditEntry.seq == 11))
        assert checkpoint.action == "audit.pruned" and checkpoint.details["through_seq"] == 6
        assert retention.prune(session, days=365, now=utcnow()) == 0  # nothing more: a second worker finds nothing
    verdict = _verdict(database)
    assert verdict.broken is None and (verdict.first_seq, verdict.last_seq) == (7, 11)
    assert _verify_cli(database).returncode == 0

    with database.session() as session:  # someone deletes entry 7 and moves the head's start to hide it
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 7))
        session.execute(update(AuditChain).values(pruned_through=7, pruned_hash=session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.seq == 8))))
    verdict = _verdict(database)
    assert verdict.broken is not None and "start was moved" in verdict.broken.problem

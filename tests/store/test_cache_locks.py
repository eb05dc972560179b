"""The store's per-worker caches (similar shelves, type-ahead names) must not deadlock a
request against a schema change waiting for it.

A request's transaction holds a share lock on what it read; a migration's ALTER TABLE
queues behind it; any later lock request on the table from another connection queues
behind the ALTER. A cache filled on a second connection while the request waits for it
would never finish. Filled on the request's own session, whose transaction already holds
the lock, it does. (PostgreSQL's search statistics are cached the same way, but from
pg_stats, which locks no table: no test could tell the two connections apart there.)
"""

import threading
import time

from sqlalchemy import select, text

from agora.store import details, search
from agora.store.caches import StoreCaches
from agora.store.models import Listing
from tests.store.helpers import publish

WAIT = 10  # seconds: far more than any of these reads takes, far less than a hung test


def _while_a_schema_change_waits(database, read) -> None:
    """Run read(session) inside a transaction that has read store_listings, while another
    connection waits for an exclusive lock on it; fail if read does not finish."""
    with database.session() as session:
        session.execute(select(Listing.id).limit(1)).all()  # the request's share lock
        locker = database.engine.connect()
        waiting = threading.Thread(target=_lock_exclusively, args=(locker,), daemon=True)
        if database.dialect == "postgresql":
            pid = locker.execute(text("SELECT pg_backend_pid()")).scalar()
            waiting.start()
            _until(lambda: _is_waiting(session, pid))
        outcome: list = []
        reader = threading.Thread(target=lambda: outcome.append(read(session)), daemon=True)
        reader.start()
        reader.join(WAIT)
        finished = not reader.is_alive()
        if database.dialect == "postgresql":
            with database.engine.connect() as other:  # free whatever waits, so the test ends
                other.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": pid})
                for stuck in other.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                         "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
                ).scalars():
                    other.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": stuck})
        reader.join(WAIT)
        session.rollback()
    if waiting.ident:
        waiting.join(WAIT)
    locker.close()
    assert finished, "the read waited on another connection queued behind the schema change"
    assert outcome, "the read failed"


def _lock_exclusively(connection) -> None:
    try:
        connection.execute(text("LOCK TABLE store_listings IN ACCESS EXCLUSIVE MODE"))
    except Exception:  # noqa: BLE001 - cancelled by the test once it has its answer
        pass
    finally:
        connection.rollback()


def _is_waiting(session, pid: int) -> bool:
    return bool(session.execute(
        text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"), {"pid": pid}
    ).scalar())


def _until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the exclusive lock never queued"
        time.sleep(0.02)


def test_the_similar_shelf_is_read_on_the_request_session(database):
    subject = publish(database, "Tax Helper", tags=["taxes"], category="productivity")
    publish(database, "Tax Twin", tags=["taxes"], category="productivity", owner_email="twin@example.com")
    cache = StoreCaches().neighbourhoods  # empty: the read must build it

    def read(session):
        listing = session.scalar(select(Listing).where(Listing.gpt_id == subject))
        return details.similar(session, listing, cache)

    _while_a_schema_change_waits(database, read)


def test_type_ahead_names_are_read_on_the_request_session(database):
    publish(database, "Tax Helper", tags=["taxes"])
    caches = StoreCaches()  # empty: the suggestion must build the names
    _while_a_schema_change_waits(database, lambda session: search.suggest(session, "ta", caches))


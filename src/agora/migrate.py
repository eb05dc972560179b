"""Schema migrations with Alembic, run by `agora migrate` and on `agora serve` start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from agora.db import Database, begin_writing

MIGRATIONS = Path(__file__).parent / "migrations"


class ForeignKeyViolation(RuntimeError):
    """A migration left rows pointing at rows that no longer exist (SQLite)."""


def _run(database: Database, action, *args, **kwargs) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database.dialect != "sqlite":
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, *args, **kwargs)
        return
    # SQLite alters a table by copying it and dropping the old one (Alembic's batch mode);
    # with foreign keys enforced, dropping a table others point at (users, on 0023's
    # downgrade) fails. SQLite's documented procedure: turn enforcement off outside the
    # transaction, migrate, check every reference before committing, turn it back on.
    with database.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None  # None only once the pool has discarded the connection, never while it is open
        pragma = driver.execute  # outside SQLAlchemy's transaction: SQLite ignores it inside one
        pragma("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                action(config, *args, **kwargs)
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                if broken:
                    raise ForeignKeyViolation(f"the migration left {len(broken)} broken references, first {tuple(broken[0])}; nothing was changed")
        finally:
            pragma("PRAGMA foreign_keys=ON")


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`, then make sure the reference data exists."""
    from agora.billing.plans import ensure_default_plans
    from agora.store import listings
    from agora.store.service import ensure_default_categories

    _run(database, command.upgrade, revision)
    with database.session() as session:
        # Read, then write: as the writer from the start, or a store running beside the migration that
        # commits in between makes the write fail at once on SQLite (SQLITE_BUSY_SNAPSHOT).
        begin_writing(session)
        ensure_default_categories(session)
        ensure_default_plans(session)
    if revision != "head":
        return  # the backfill's mark needs the latest schema
    with database.session() as session:
        listings.backfill(session)  # a store upgraded from before listings existed

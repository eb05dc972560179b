"""Migrations go down and back up on a database that holds data, on both databases: SQLite
rebuilds a table to alter it, which must neither fail on the rows pointing at it nor lose them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, select, text

from agora import migrate
from agora.accounts.models import User
from agora.db import Database
from tests.store.helpers import publish


@pytest.mark.parametrize("revision", ["0022", "0013"])
def test_down_and_up_again_keeps_every_row(database, revision):
    gpt_id = publish(database, "Kept Helper")
    with database.session() as session:
        users = session.scalar(select(func.count()).select_from(User))
    migrate._run(database, command.downgrade, revision)  # 0023 rebuilds users on SQLite, which gpts and workspaces point at
    migrate.upgrade(database)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == users
        assert session.scalar(text("SELECT name FROM gpts WHERE id = :id"), {"id": gpt_id}) == "Kept Helper"
        if database.dialect == "sqlite":
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1  # enforcement is back on
            assert session.execute(text("PRAGMA foreign_key_check")).all() == []
            # Rebuilt to drop a column and back: a deleted reply's id is still never reused (usage records point at it).
            assert "AUTOINCREMENT" in session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'messages'"))


def test_a_migration_that_breaks_a_reference_changes_nothing_on_sqlite(tmp_path):
    """PostgreSQL checks every reference as it goes; SQLite, with enforcement off, at the end."""
    database = Database(f"sqlite:///{tmp_path / 'agora.db'}")
    migrate.upgrade(database)
    gpt_id = publish(database, "Orphan Maker")

    def orphaning_upgrade(config, revision):
        config.attributes["connection"].execute(text("DELETE FROM users"))  # gpts now point at nobody

    with pytest.raises(migrate.ForeignKeyViolation, match="broken references"):
        migrate._run(database, orphaning_upgrade, "head")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) >= 1
        assert session.scalar(text("SELECT count(*) FROM gpts WHERE id = :id"), {"id": gpt_id}) == 1


def test_the_migrations_form_one_line():
    """Two branches landing a migration with the same number leave two heads (or one id twice):
    every database would then fail to migrate. Caught here, before any database is touched."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    files = sorted(path.name for path in (migrate.MIGRATIONS / "versions").glob("[0-9]*.py"))
    revisions = [file.split("_", 1)[0] for file in files]
    assert len(set(revisions)) == len(revisions), f"two migrations share a number: {files}"
    assert script.get_heads() == [revisions[-1]], f"heads {script.get_heads()}: renumber the newest migration after {revisions[-2]}"
    for number, (down, up) in enumerate(zip(revisions, revisions[1:], strict=False), start=2):
        assert script.get_revision(up).down_revision == down, f"migration {up} must revise {down} (file {files[number - 1]})"


def test_migrating_a_live_sqlite_store_writes_the_reference_data_though_another_writer_commits(tmp_path):
    """`agora migrate` beside a running store (its ingestion threads and usage writer commit all the time):
    the reference data is read, then written. Begun as a plain reader, a commit by another connection in
    between made the write fail at once (SQLITE_BUSY_SNAPSHOT, "database is locked"), which no busy timeout waits out."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from agora.store.models import Category

    path = tmp_path / "agora.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    with database.session() as session:
        session.execute(text("DELETE FROM categories WHERE slug = 'writing'"))
        session.execute(text("CREATE TABLE other_writer (n INTEGER)"))

    def another_writer_commits(session, _context, _instances):
        other = sqlite3.connect(path, timeout=0.2)
        try:
            with other:
                other.execute("INSERT INTO other_writer VALUES (1)")
        except sqlite3.OperationalError:
            pass  # the migration holds the write lock: the other writer waits its turn, as it should
        finally:
            other.close()

    event.listen(Session, "before_flush", another_writer_commits)
    try:
        migrate.upgrade(database)
    finally:
        event.remove(Session, "before_flush", another_writer_commits)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Category).where(Category.slug == "writing")) == 1
    database.dispose()

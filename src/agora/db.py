"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Engine, MetaData, Result, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use agora.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_for(session: Session):
    """The dialect's INSERT construct, which has ON CONFLICT (both databases spell it the same)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


# A connection execution option: this transaction takes SQLite's write lock at BEGIN (BEGIN
# IMMEDIATE). A transaction that reads, then writes what it read (a subscription change) needs it:
# begun deferred, a writer that commits between its first read and its first write makes that
# write fail at once (SQLITE_BUSY_SNAPSHOT), which no busy timeout waits out.
BEGIN_IMMEDIATE = "agora_begin_immediate"


def begin_writing(session: Session) -> None:
    """Before the session's first statement: on SQLite, start its transaction as the database's
    writer, so what it reads is still true when it writes (nothing to do on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={BEGIN_IMMEDIATE: True})


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(BEGIN_IMMEDIATE) else "BEGIN")


SQLITE_MMAP_BYTES = 1 << 34  # SQLite caps it at its compile-time maximum (2 GiB by default)
SQLITE_CACHE_KIB = 32 * 1024  # per connection, for pages mmap does not serve (writes, WAL)


def log2_add(a: float, b: float) -> float:
    """log2(2^a + 2^b) for any a and b (never overflowing): trending scores are added on a
    log scale (agora.store.trending). SQLite's agora_log2_add; PostgreSQL's is migration 0018's."""
    top, low = (a, b) if a >= b else (b, a)
    return top + math.log1p(2.0 ** (low - top)) / math.log(2)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" listener issue BEGIN
    dbapi_connection.create_function("agora_log2_add", 2, log2_add, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Read the database through memory-mapped I/O (no copy into SQLite's own 2 MB page
    # cache on each read); a large store's search index stays hot in the OS page cache.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


class Database:
    """One engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str, *, info: dict[str, Any] | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        # `info` is copied into every session's Session.info: the app puts its settings there, for the in-transaction
        # listeners of events (agora.events) that need the operator's choices and only get the session.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=dict(info or {}))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends, rolls back when it raises.

        Code inside may commit early on purpose (a failed login must count even though
        the request then fails); a new transaction begins by itself after that.
        """
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched: its result is a CursorResult, though Session.execute is typed for a SELECT's."""
    return cast(CursorResult[Any], result).rowcount


def _driver_outages() -> tuple[type[Exception], ...]:
    # Batch ingestion writes through the drivers' own cursors (COPY, executemany), whose
    # errors reach the caller unwrapped by SQLAlchemy.
    import sqlite3

    found: tuple[type[Exception], ...] = (sqlite3.OperationalError, sqlite3.InterfaceError)
    try:
        import psycopg
    except ImportError:  # an installation without PostgreSQL's driver
        return found
    return (*found, psycopg.OperationalError, psycopg.InterfaceError)


_OUTAGES: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, *_driver_outages())


def is_outage(error: BaseException) -> bool:
    """The database did not answer, or could not write (a lock, a full disk): worth waiting for,
    unlike data it refuses. SQLite says "operational" for both, so a SQLite bug looks like one too."""
    return isinstance(error, _OUTAGES) or (isinstance(error, DBAPIError) and error.connection_invalidated)

"""Batch ingestion of usage events (imports, the benchmark) and the rollups recomputed from the events.

`ingest` writes a batch in a handful of statements, whatever its size: the events go in
through the driver's bulk path (a binary COPY into a temporary staging table then one
`INSERT ... SELECT` on PostgreSQL, one prepared executemany on SQLite), the events that
were new are grouped per UTC day, GPT and user into a temporary table, and `rollups.add`
adds that table to the daily rollups. Replaying a batch changes nothing. An event that
opens a conversation (the first one metered with its `conversation_id`) counts it.
Preview events (a builder trying a draft, source "preview") are stored, never rolled up:
the rollups feed trending and payouts, which a builder's own tries must not move.

`usage_records` has no foreign keys (they cost a lookup per event on PostgreSQL, migration
0012): one query per batch looks for user and GPT ids that do not exist, and a batch that
names any is refused whole (`UnknownReferences`), before anything is written.

The rollups recomputed from the events, which audit these incremental counts, live with the
tests and the benchmark that use them (tests/metering/totals.py).
"""

from __future__ import annotations

import json
from contextlib import closing
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora import events as hook
from agora.metering import rollups
from agora.metering.models import UsageRecord

# Where a reply came from: the web chat, /v1, or the editor's preview of a draft (never rolled up).
SOURCES = ("web", "api", "preview")

# Every column of an event but its id, created_at last (it is the one converted on the way in).
EVENT_COLUMNS = ("idempotency_key", "user_id", "workspace_id", "plan_code", "gpt_id", "gpt_version", "builder_id", "model", "source",
                 "conversation_id", "message_id", "status", "prompt_tokens", "completion_tokens", "latency_ms", "created_at")
OPTIONAL = {"workspace_id": None, "plan_code": "free", "gpt_id": None, "gpt_version": None, "builder_id": None, "source": "web",
            "conversation_id": None, "message_id": None}
_REQUIRED = frozenset(EVENT_COLUMNS) - OPTIONAL.keys()
_SOURCE, _PROMPT, _COMPLETION, _LATENCY = (EVENT_COLUMNS.index(c) for c in ("source", "prompt_tokens", "completion_tokens", "latency_ms"))

# A batch's new events per UTC day, GPT and user: what `rollups.add` reads. A temporary
# table (private to the connection, never logged) so the rollups are derived in SQL.
BATCH = Table("usage_batch", MetaData(), Column("day", Date), Column("gpt_id", String(13)), Column("user_id", Integer),
              *(Column(c, Integer) for c in rollups.COUNTERS))
# PostgreSQL: where COPY puts a batch before one INSERT ... SELECT moves the new events on.
_STAGING = Table("usage_staging", MetaData(), *(Column(c, UsageRecord.__table__.c[c].type) for c in EVENT_COLUMNS))
_COLUMN_LIST = ", ".join(EVENT_COLUMNS)
# Binary COPY sends each value in the column's own representation, so psycopg is told the
# types (text's binary form is varchar's too).
_COPY_TYPES = ["timestamptz" if c == "created_at" else "text" if isinstance(UsageRecord.__table__.c[c].type, String) else "int4"
               for c in EVENT_COLUMNS]
_UNIQUE_KEY = "uq_usage_records_idempotency_key"
_REFERENCES_SHOWN = 10


class UnknownReferences(ValueError):
    """A batch names users or GPTs that do not exist: it is refused whole, nothing written."""

    def __init__(self, users: list, gpts: list) -> None:
        self.users, self.gpts = sorted(users), sorted(gpts)
        named = [f"{kind} {_listed(ids)}" for kind, ids in (("users", self.users), ("GPTs", self.gpts)) if ids]
        super().__init__(f"usage events name unknown {' and unknown '.join(named)}; the batch was refused and nothing was written")


def _listed(ids: list) -> str:
    shown = ", ".join(str(i) for i in ids[:_REFERENCES_SHOWN])
    return shown + (f" (and {len(ids) - _REFERENCES_SHOWN} more)" if len(ids) > _REFERENCES_SHOWN else "")


def _refuse_unknown(found) -> None:
    """`found`: rows of (kind, id) for the ids that matched no user ('user') or GPT ('gpt')."""
    users = [int(i) for kind, i in found if kind == "user"]
    gpts = [i for kind, i in found if kind == "gpt"]
    if users or gpts:
        raise UnknownReferences(users, gpts)


def check(event: dict) -> None:
    """Refuse (ValueError) an event `ingest` would refuse, before it is queued: a writer must not hold a bad one."""
    if not _REQUIRED.issubset(event):  # one set operation: writers check every reply's event
        raise ValueError(f"usage event without {', '.join(sorted(_REQUIRED - event.keys()))}")
    if event.get("source", "web") not in SOURCES:
        raise ValueError(f"unknown usage source {event['source']!r}")
    if min(event["prompt_tokens"], event["completion_tokens"], event["latency_ms"]) < 0:
        raise ValueError("usage cannot be negative")


def ingest(session: Session, events: list[dict]) -> int:
    """Insert usage events (UsageRecord columns, `created_at` aware); returns how many were new.

    Raises ValueError (UnknownReferences for users or GPTs that do not exist) for a batch
    with a bad event, before writing any of it.
    """
    if not events:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = _rows(session, events)
    session.flush()  # the driver-level writes below must see the caller's pending rows (a new GPT, say)
    session.execute(text(_temporary_table(session, BATCH)))
    inserted = _insert_postgresql(session, rows) if postgres else _insert_sqlite(session, rows)
    if inserted:
        # The store moves trending from this (store.trending listens): metering does not import the store.
        activity = tuple(hook.GptActivity(row.gpt_id, row.day, row.users, row.conversations, row.messages) for row in rollups.add(session, BATCH))
        hook.publish(hook.UsageRecorded(session=session, activity=activity))
    # Cleared now, not at commit, so a second batch in the same transaction starts empty.
    session.execute(text("TRUNCATE usage_batch" if postgres else "DELETE FROM temp.usage_batch"))
    return inserted


def _rows(session: Session, events: list[dict]) -> list[tuple]:
    """Events as tuples in EVENT_COLUMNS order, checked like a single reply's usage."""
    # The dialect's own conversion, so a batched event is stored exactly as the ORM stores one
    # (on SQLite a text whose format range queries compare against).
    dialect = session.get_bind().dialect
    to_database = UsageRecord.__table__.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert to_database is not None  # created_at's type is a TypeDecorator (agora.db.UTCDateTime): it always converts
    pick = itemgetter(*EVENT_COLUMNS)
    rows, keys = [], set()
    for event in events:
        try:
            row = pick(event)
        except KeyError:
            try:
                row = pick({**OPTIONAL, **event})  # only now: merging costs a fifth of the loop
            except KeyError as missing:
                raise ValueError(f"usage event without {missing}") from None
        if row[0] in keys:
            continue  # the same event twice in one batch: the first copy is the event
        keys.add(row[0])
        if row[_SOURCE] not in SOURCES:
            raise ValueError(f"unknown usage source {row[_SOURCE]!r}")
        if min(row[_PROMPT], row[_COMPLETION], row[_LATENCY]) < 0:
            raise ValueError("usage cannot be negative")
        rows.append((*row[:-1], to_database(row[-1])))
    return rows


def _temporary_table(session: Session, table: Table) -> str:
    dialect = session.get_bind().dialect
    columns = ", ".join(f"{c.name} {c.type.compile(dialect=dialect)}" for c in table.columns)
    # Kept for the connection's life (no catalogue churn per batch); emptied at each commit.
    on_commit = " ON COMMIT DELETE ROWS" if dialect.name == "postgresql" else ""
    return f"CREATE TEMPORARY TABLE IF NOT EXISTS {table.name} ({columns}){on_commit}"


_UNKNOWN_STAGED = text("""
    SELECT 'user', s.user_id::text FROM (SELECT DISTINCT user_id FROM usage_staging) AS s
    WHERE NOT EXISTS (SELECT FROM users WHERE users.id = s.user_id)
    UNION ALL
    SELECT 'gpt', s.gpt_id FROM (SELECT DISTINCT gpt_id FROM usage_staging WHERE gpt_id IS NOT NULL) AS s
    WHERE NOT EXISTS (SELECT FROM gpts WHERE gpts.id = s.gpt_id)""")


def _insert_from_staging(on_conflict: str) -> str:
    # `opened`: the events that open a conversation, its first metered reply. The statement
    # reads usage_records as they were before it (its own inserts are invisible to it), so
    # NOT EXISTS finds earlier replies only; DISTINCT ON keeps one per conversation in the batch.
    return f"""
        WITH new AS (
            INSERT INTO usage_records ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM usage_staging
            -- An order every transaction agrees on (an event's time never changes), so concurrent replays of the
            -- same events wait for each other, never deadlock; and ids follow time, as exports read them.
            ORDER BY created_at, idempotency_key
            {on_conflict}
            RETURNING idempotency_key, created_at, gpt_id, user_id, source, conversation_id, prompt_tokens, completion_tokens
        ), opened AS (
            SELECT DISTINCT ON (conversation_id) idempotency_key FROM new
            WHERE conversation_id IS NOT NULL AND NOT EXISTS (SELECT FROM usage_records u WHERE u.conversation_id = new.conversation_id)
            ORDER BY conversation_id, created_at, idempotency_key
        ), grouped AS (
            INSERT INTO usage_batch (day, gpt_id, user_id, conversations, messages, prompt_tokens, completion_tokens)
            SELECT (created_at AT TIME ZONE 'UTC')::date, gpt_id, user_id, count(opened.idempotency_key), count(*),
                   sum(prompt_tokens), sum(completion_tokens)
            FROM new LEFT JOIN opened USING (idempotency_key)
            WHERE gpt_id IS NOT NULL AND source <> 'preview' GROUP BY 1, 2, 3
        )
        SELECT count(*) FROM new"""


_INSERT_ALL = text(_insert_from_staging(""))
_INSERT_NEW = text(_insert_from_staging("ON CONFLICT (idempotency_key) DO NOTHING"))


def _driver_connection(session: Session) -> Any:
    """The driver's own connection (psycopg's or sqlite3's) under the session's: COPY and a raw executemany need it."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # None only once the pool has discarded the connection, never while a session holds it
    return driver


def _insert_postgresql(session: Session, rows: list[tuple]) -> int:
    """Binary COPY into a staging table, check its references, then one statement inserts the new events and groups them.

    Most batches hold no event already stored, so the insert first goes without `ON
    CONFLICT` (whose speculative insertion costs every row) inside a savepoint; only if a
    key is already there does it roll back to the savepoint and insert again skipping the
    stored events, so a replay still counts nothing twice.
    """
    session.execute(text(_temporary_table(session, _STAGING)))
    with _driver_connection(session).cursor() as cursor, \
            cursor.copy(f"COPY usage_staging ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)
    unknown = session.execute(_UNKNOWN_STAGED).all()
    if unknown:
        session.execute(text("TRUNCATE usage_staging"))  # a caller that carries on starts its next batch empty
        _refuse_unknown(unknown)
    try:
        with session.begin_nested():
            inserted = session.execute(_INSERT_ALL).scalar_one()
    except IntegrityError as error:
        from psycopg.errors import UniqueViolation  # only this path runs on PostgreSQL, whose driver it is

        if not isinstance(error.orig, UniqueViolation) or error.orig.diag.constraint_name != _UNIQUE_KEY:
            raise
        inserted = session.execute(_INSERT_NEW).scalar_one()  # a replay, in part or whole
    session.execute(text("TRUNCATE usage_staging"))
    return inserted


_UNKNOWN_LISTED = text("""
    SELECT 'user', value FROM json_each(:users) WHERE NOT EXISTS (SELECT 1 FROM users WHERE users.id = value)
    UNION ALL
    SELECT 'gpt', value FROM json_each(:gpts) WHERE NOT EXISTS (SELECT 1 FROM gpts WHERE gpts.id = value)""")
_USER, _GPT = EVENT_COLUMNS.index("user_id"), EVENT_COLUMNS.index("gpt_id")


def _insert_sqlite(session: Session, rows: list[tuple]) -> int:
    """One prepared executemany, then the reference check; the new events are the highest ids.

    The check comes after the insert because on SQLite a transaction that reads before it
    writes fails, instead of waiting, when another writer committed meanwhile; the savepoint
    takes a refused batch back out whatever the caller does next. SQLite has one writer at a
    time and gives a new row the table's highest id plus one, so the `inserted` rows just
    written are exactly those above `max(id) - inserted`; an event opens its conversation
    when no event with a lower id names it.
    """
    with session.begin_nested():
        # Asking for the connection inside the block is what emits the SAVEPOINT. The cursor
        # is closed here, in this thread: left to the garbage collector (a refused batch's
        # traceback keeps it alive) it would reset the connection's cached INSERT whenever
        # collected, maybe while another thread runs it on the same pooled connection.
        with closing(_driver_connection(session).cursor()) as cursor:
            cursor.executemany(
                f"INSERT INTO usage_records ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))}) ON CONFLICT (idempotency_key) DO NOTHING", rows)
            inserted = cursor.rowcount
        users = json.dumps(sorted({row[_USER] for row in rows}))
        gpts = json.dumps(sorted({row[_GPT] for row in rows if row[_GPT] is not None}))
        _refuse_unknown(session.execute(_UNKNOWN_LISTED, {"users": users, "gpts": gpts}).all())
    if inserted:
        session.execute(text("""
            INSERT INTO temp.usage_batch (day, gpt_id, user_id, conversations, messages, prompt_tokens, completion_tokens)
            SELECT date(created_at), gpt_id, user_id,
                   sum(conversation_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM usage_records AS earlier WHERE earlier.conversation_id = r.conversation_id AND earlier.id < r.id)),
                   count(*), sum(prompt_tokens), sum(completion_tokens)
            FROM usage_records AS r WHERE id > (SELECT max(id) FROM usage_records) - :inserted AND gpt_id IS NOT NULL AND source <> 'preview'
            GROUP BY 1, 2, 3"""), {"inserted": inserted})
    return inserted


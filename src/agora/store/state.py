"""Named values the store's upkeep keeps between runs, one row each in store_state."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agora.store.models import StoreState


def read(session: Session, name: str) -> str | None:
    return session.scalar(select(StoreState.value).where(StoreState.name == name))


def claim(session: Session, name: str, *, default: str) -> str:
    """The value, locked until the caller's transaction ends (created as `default` if absent).

    A write, so that it takes SQLite's one write lock at once: a value read first and
    written later could be overtaken by another writer in between. On PostgreSQL it locks
    the row, and a concurrent claim waits, then reads the value committed before it.
    """
    return session.execute(
        text("INSERT INTO store_state (name, value) VALUES (:name, :value) "
             "ON CONFLICT (name) DO UPDATE SET value = store_state.value RETURNING value"),
        {"name": name, "value": default},
    ).scalar_one()


def write(session: Session, name: str, value: str) -> None:
    """Set a value claimed in this transaction."""
    session.execute(text("UPDATE store_state SET value = :value WHERE name = :name"), {"name": name, "value": value})

"""Schema migrations with Alembic, run by `agora migrate` and on `agora serve` start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from agora.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _run(database: Database, action, *args, **kwargs) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, *args, **kwargs)


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`, then make sure the reference data exists."""
    from agora.billing.plans import ensure_default_plans
    from agora.store import listings
    from agora.store.service import ensure_default_categories

    _run(database, command.upgrade, revision)
    with database.session() as session:
        ensure_default_categories(session)
        ensure_default_plans(session)
    if revision != "head":
        return  # the backfill's mark needs the latest schema
    with database.session() as session:
        listings.backfill(session)  # a store upgraded from before listings existed


def autogenerate(database: Database, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    _run(database, command.revision, message=message, autogenerate=True)

"""`agora audit verify` and `agora audit prune`: check the audit chain, apply its retention."""

from __future__ import annotations

import click

from agora.config import get_settings
from agora.db import Database


def _database() -> Database:
    from agora import migrate

    database = Database(get_settings().resolved_database_url())
    migrate.upgrade(database)
    return database


@click.group()
def audit() -> None:
    """The audit log: verify its hash chain, prune what is past retention."""


@audit.command("verify")
def verify_command() -> None:
    """Check every entry: present, unedited, linked to the one before.

    Exits 0 when the chain is intact, 1 naming the first bad entry otherwise. Note the head's
    hash it prints somewhere else (a ticket, a log): a chain cut short and re-headed by someone
    with write access to the database is only detectable against it.
    """
    from agora.audit import chain

    with _database().session() as session:
        verdict = chain.verify(session)
        head = session.get(chain.AuditChain, chain.HEAD)
        head_hash = head.last_hash if head else chain.GENESIS
    if verdict.broken is not None:
        click.echo(f"audit chain BROKEN at {verdict.broken} ({verdict.checked} entries before it are intact)", err=True)
        raise SystemExit(1)
    span = f"entries {verdict.first_seq} to {verdict.last_seq}" if verdict.last_seq else "no entries"
    click.echo(f"audit chain intact: {verdict.checked} entries checked ({span}); head {head_hash}")


@audit.command("prune")
@click.option("--days", type=click.IntRange(1, 36500), help="Keep this many days [default: AGORA_AUDIT_RETENTION_DAYS].")
def prune_command(days: int | None) -> None:
    """Delete entries older than the retention (`agora serve` does it every hour by itself)."""
    from agora.audit import retention
    from agora.db import utcnow

    days = days or get_settings().audit_retention_days
    with _database().session() as session:
        deleted = retention.prune(session, days=days, now=utcnow())
    click.echo(f"{deleted} audit entries older than {days} days deleted; a checkpoint keeps the chain verifiable." if deleted
               else f"No audit entry is older than {days} days.")

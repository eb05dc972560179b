"""`agora payouts run --month YYYY-MM [--dry-run]`: a month's revenue pool, from the command line."""

from __future__ import annotations

import click

from agora.config import get_settings
from agora.db import Database
from agora.errors import AgoraError


def _money(millis: int, currency: str) -> str:
    cents, rest = divmod(millis, 1000)
    return f"{cents // 100:,}.{cents % 100:02d}{f'{rest:03d}'.rstrip('0') if rest else ''} {currency}"


@click.group()
def payouts() -> None:
    """Pay builders: the monthly revenue pool (docs/payouts.md)."""


@payouts.command("run")
@click.option("--month", required=True, help="A month that is over, YYYY-MM (UTC).")
@click.option("--dry-run", is_flag=True, help="Compute and show the month; write nothing (any month, even the current one).")
def run_command(month: str, dry_run: bool) -> None:
    """Allocate a month's revenue pool to the GPTs that earned it, in the ledger.

    Idempotent: running a month again (or twice at once) changes nothing and shows what was
    allocated. Paying builders' balances out (transfers) is not built yet."""
    from agora import migrate
    from agora.payouts.run import rules_from, run_month

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    migrate.upgrade(database)
    try:
        with database.session() as session:
            results = run_month(session, month, rules_from(settings), dry_run=dry_run)
    except AgoraError as error:
        raise click.BadParameter(error.message, param_hint="'--month'") from error
    if not results:
        click.echo(f"{month}: no paid invoices, so no revenue pool.")
    for result in results:
        state = "already allocated; nothing changed" if result.already_run else ("dry run; nothing written" if dry_run else "allocated")
        click.echo(f"{month} {result.currency}: net revenue {_money(result.net_revenue, result.currency)}, "
                   f"pool {_money(result.pool, result.currency)}, {len(result.parts)} eligible GPTs, {result.units} engagement units, "
                   f"{_money(result.allocated, result.currency)} allocated ({state}).")
        for part in result.parts:
            click.echo(f"  {part.engagement.gpt_id}\tbuilder {part.engagement.builder_id}\t{part.engagement.users} users\t"
                       f"{part.engagement.units} units\t{_money(part.amount, result.currency)}")

"""`agora ledger verify` (and `agora ledger balances`): the ledger checked from the command line."""

from __future__ import annotations

import click
from sqlalchemy import select

from agora.config import get_settings
from agora.db import Database


def _database() -> Database:
    from agora import migrate

    database = Database(get_settings().resolved_database_url())
    migrate.upgrade(database)
    return database


@click.group()
def ledger() -> None:
    """The double-entry ledger: where every cent is."""


@ledger.command("verify")
def verify_command() -> None:
    """Check that every entry balances and every balance is the sum of its legs.

    Exits 0 when the ledger is whole; otherwise prints every discrepancy, the first named on
    the last line, and exits 1."""
    from agora.ledger.verify import discrepancies

    database = _database()
    with database.session() as session:
        found = list(discrepancies(session))
    if not found:
        click.echo("The ledger balances: every entry sums to zero and every balance is the sum of its legs.")
        return
    for discrepancy in found:
        click.echo(str(discrepancy), err=True)
    raise click.ClickException(f"{len(found)} discrepanc{'y' if len(found) == 1 else 'ies'}; the first: {found[0]}")


@ledger.command("balances")
def balances_command() -> None:
    """Every account's balance, in the currency's minor units (cents, to three decimals)."""
    from agora.ledger.models import LedgerAccount
    from agora.ledger.service import MILLIS_PER_MINOR_UNIT

    database = _database()
    with database.session() as session:
        for code, balance in session.execute(select(LedgerAccount.code, LedgerAccount.balance).order_by(LedgerAccount.code)):
            whole, millis = divmod(abs(balance), MILLIS_PER_MINOR_UNIT)
            click.echo(f"{code}\t{'-' if balance < 0 else ''}{whole}.{millis:03d}")

"""`agora credits add`: an operator records credit a user paid for outside Agora (a bank transfer)."""

from __future__ import annotations

import click

from agora.config import get_settings
from agora.db import Database
from agora.errors import AgoraError


@click.group()
def credits() -> None:
    """Users' credit for priced GPTs (docs/payouts.md)."""


@credits.command("add")
@click.argument("email")
@click.argument("amount", type=int)
@click.option("--reference", required=True, help="The payment's reference (the bank transfer's): the same reference is recorded once.")
def add_command(email: str, amount: int, reference: str) -> None:
    """Credit EMAIL's account with AMOUNT minor units (cents) they paid offline.

    Idempotent by reference: entering the same transfer again changes nothing."""
    from agora import migrate
    from agora.accounts import service as accounts
    from agora.credits import purchases
    from agora.credits.errors import money

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    migrate.upgrade(database)
    try:
        with database.session() as session:
            user = accounts.user_by_email(session, email)
            if user is None:
                raise click.BadParameter(f"There is no account with the email {email}.", param_hint="'EMAIL'")
            posted = purchases.record(session, user_id=user.id, amount=amount, currency=settings.credits_currency, gateway="offline",
                                      reference=reference)
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    shown = money(amount * 1000, settings.credits_currency)
    click.echo(f"{shown} of credit for {email} ({reference}): " + ("recorded." if posted.created else "already recorded; nothing changed."))

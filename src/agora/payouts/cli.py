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

    Then, once the month's hold period (AGORA_PAYOUT_HOLD_DAYS) is over, pays builders' balances:
    Stripe Connect transfers, or bank payouts listed by `agora payouts bank-csv`. Idempotent:
    running a month again (or twice at once, or after a run was killed) changes nothing and shows
    what was allocated and paid."""
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
    _show_pool(month, results, dry_run)
    if dry_run:
        click.echo(f"{month}: payouts are not previewed; a run without --dry-run pays balances once the hold period is over.")
        return
    from agora.payouts import transfers

    try:
        report = transfers.pay_month(database, month, settings, transfer=transfers.stripe_transfer(settings))
    except AgoraError as error:
        click.echo(f"{month}: no payouts yet: {error.message}")
        return
    _show_payouts(report)


def _show_pool(month: str, results, dry_run: bool) -> None:
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


def _show_payouts(report) -> None:
    for payout in report.paid:
        click.echo(f"payout {payout.id}\tbuilder {payout.builder_id}\t{payout.amount // 100}.{payout.amount % 100:02d} {payout.currency}\t"
                   f"{payout.method}\t{payout.status}" + (f"\t{payout.transfer_id}" if payout.transfer_id else "")
                   + (f"\t{payout.reason}" if payout.reason else ""))
    for skip in report.skipped:
        click.echo(f"skipped\tbuilder {skip.builder_id}\t{_money(skip.payable, skip.currency)}\t{skip.reason}")
    if report.unanswered:
        click.echo(f"Stripe did not answer for payouts {', '.join(map(str, report.unanswered))}: they stay in transit; run the month again.",
                   err=True)


def _session():
    from agora import migrate

    database = Database(get_settings().resolved_database_url())
    migrate.upgrade(database)
    return database


@payouts.command("bank-csv")
@click.option("--month", required=True, help="The month whose bank payouts to list, YYYY-MM.")
def bank_csv_command(month: str) -> None:
    """The month's bank payouts in transit, as CSV for the bank (with the reference to quote); confirm each once sent."""
    from agora.payouts import transfers

    with _session().session() as session:
        click.echo(transfers.bank_csv(session, month), nl=False)


@payouts.command("confirm")
@click.argument("payout_id", type=int)
def confirm_command(payout_id: int) -> None:
    """The bank transfer of payout PAYOUT_ID was made: the money has left (idempotent)."""
    from agora.payouts import transfers

    try:
        with _session().session() as session:
            payout = transfers.sent(session, payout_id)
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"payout {payout.id}: {payout.status}")


@payouts.command("fail")
@click.argument("payout_id", type=int)
@click.option("--reason", required=True, help="Why the transfer failed (the bank's return reason).")
def fail_command(payout_id: int, reason: str) -> None:
    """The transfer of payout PAYOUT_ID failed or came back: the money returns to the builder's balance (idempotent)."""
    from agora.payouts import transfers

    try:
        with _session().session() as session:
            payout = transfers.fail(session, payout_id, reason)
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"payout {payout.id}: {payout.status}; the money is back in the builder's balance")

"""`agora subscription set` and `agora usage export`: plans and usage from the command line."""

from __future__ import annotations

import contextlib
import re
import sys

import click
from sqlalchemy.orm import Session

from agora.accounts.models import User, Workspace
from agora.config import get_settings
from agora.db import Database
from agora.errors import AgoraError


def apply_plan(session: Session, user: User, plan: str, *, seats: int | None):
    """Team plans go on a team workspace (the user's own, created if needed); others on the personal one."""
    from agora.accounts.service import personal_workspace_id
    from agora.billing import plans, subscriptions

    if plan == plans.TEAM:
        workspace = subscriptions.team_workspace_for(session, user)
    else:
        workspace = session.get_one(Workspace, personal_workspace_id(session, user))
    return subscriptions.set_plan(session, workspace=workspace, plan_code=plan, seats=seats, actor="cli")


def _database() -> Database:
    from agora import migrate

    database = Database(get_settings().resolved_database_url())
    migrate.upgrade(database)
    return database


@click.group()
def subscription() -> None:
    """Manage plans and subscriptions."""


@subscription.command("set")
@click.option("--email", required=True, help="The user's login email.")
@click.option("--plan", required=True, help="free, plus, team or enterprise.")
@click.option("--seats", type=int, help="Seats (team plans; at least 2 and at least the members in use).")
def set_command(email: str, plan: str, seats: int | None) -> None:
    """Put a user (or, for team, their team workspace) on a plan; recorded as a subscription event."""
    from agora.accounts.service import user_by_email
    from agora.billing import serial

    database = _database()
    try:
        with database.session() as session:
            serial.begin(session)
            user = user_by_email(session, email)
            if user is None:
                raise click.BadParameter(f"no user with email {email}", param_hint="'--email'")
            result = apply_plan(session, user, plan, seats=seats)
            summary = f"{user.email} is on {result.plan_code} ({result.seats} seat{'s' if result.seats != 1 else ''}, workspace {result.workspace_id})."
    except AgoraError as error:
        hint = {"plan": "'--plan'", "seats": "'--seats'"}.get(error.field or "")
        raise (click.BadParameter(error.message, param_hint=hint) if hint else click.ClickException(error.message)) from error
    click.echo(summary)


@click.group()
def usage() -> None:
    """Usage events: export them for accounting and payouts."""


@usage.command("export")
@click.option("--month", required=True, help="Calendar month in UTC, YYYY-MM.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write [default: standard output].")
def export_command(month: str, fmt: str, output: str | None) -> None:
    """Every usage event of the month, oldest first, one per line."""
    from agora.audit import chain as audit
    from agora.metering import export

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise click.BadParameter("use YYYY-MM, e.g. 2026-11", param_hint="'--month'")
    database = _database()
    with open(output, "w", newline="", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout) as stream, database.session() as session:
        count = export.write(session, month=month, fmt=fmt, out=stream)
        audit.record(session, "usage.exported", actor_label="cli", target_type="usage", target_id=month, details={"format": fmt, "events": count})
    click.echo(f"Exported {count} usage events for {month}.", err=True)

"""The `agora` command: serve the store, migrate, seed the demo, manage users."""

from __future__ import annotations

import os
import sys
from datetime import date
from typing import NoReturn

import click

from agora.accounts.api_key_cli import api_key as api_key_commands
from agora.audit.cli import audit as audit_commands
from agora.billing.cli import subscription as subscription_commands
from agora.billing.cli import usage as usage_commands
from agora.config import Settings, get_settings
from agora.credits.cli import credits as credits_commands
from agora.db import Database
from agora.errors import AgoraError
from agora.gpts.cli import gpts as gpts_commands
from agora.knowledge import files as _knowledge  # noqa: F401 - loaded: knowledge hears publishes, edits and forks, and names files in exports
from agora.ledger.cli import ledger as ledger_commands
from agora.moderation import review as _review  # noqa: F401 - loaded: the review hears the builder's store submissions
from agora.payouts.cli import payouts as payouts_commands
from agora.retention.cli import retention as retention_commands


def _database(settings: Settings) -> Database:
    return Database(settings.resolved_database_url(), info={"settings": settings})


# Service errors name form fields; on the command line, name the option instead.
OPTION_FOR_FIELD = {"display_name": "--name"}


def _fail(error: AgoraError) -> NoReturn:
    if error.field:
        option = OPTION_FOR_FIELD.get(error.field, "--" + error.field.replace("_", "-"))
        raise click.BadParameter(error.message, param_hint=f"'{option}'")
    raise click.ClickException(error.message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="agora")
def main() -> None:
    """Agora, the self-hostable GPT Store.

    Settings come from AGORA_* environment variables; see docs/configuration.md.
    """


WORKER_HEALTHCHECK_SECONDS = 60  # how long `agora serve` waits for a worker's answer before it replaces it


@main.command()
@click.option("--host", help="Address to listen on [default: AGORA_HOST or 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [default: AGORA_PORT or 8000].")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes [default: AGORA_WORKERS or 1].")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Migrate the database, then serve the store over HTTP."""
    import uvicorn

    from agora import migrate
    from agora.observability import configure_logging, logging_config

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    # The workers read their settings again: they must know where they listen (links point there).
    os.environ.update(AGORA_HOST=host, AGORA_PORT=str(port))
    get_settings.cache_clear()
    _check_port_free(host, port)
    configure_logging(settings.log_format, settings.log_level)
    settings.resolved_secret_key()  # created once here, before workers fork and race for it
    database = _database(settings)
    migrate.upgrade(database)
    database.dispose()
    _check_knowledge_bucket(settings)
    uvicorn.run(
        "agora.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        log_config=logging_config(settings.log_format, settings.log_level),
        proxy_headers=False,  # forwarded headers are believed from AGORA_TRUSTED_PROXIES only (create_app)
        timeout_graceful_shutdown=15,
        # uvicorn kills a worker that has not answered its ping in 5 s by default, and a spawned worker answers only
        # once its interpreter is up: on a loaded 2-core machine (load 19, seen here) that took longer, and the
        # workers were killed and respawned forever without serving. A worker that is truly hung waits longer to go.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _check_knowledge_bucket(settings: Settings) -> None:
    """With AGORA_KNOWLEDGE_S3_BUCKET set, say at start whether the bucket answers, naming the setting to correct. A bucket
    that does not exist or refuses the keys stops serve (no retry fixes it, and every upload would fail); a server that
    does not answer is reported and serve goes on (it may be down only for now: uploads wait for it, /readyz says so)."""
    from agora.knowledge import storage

    found = storage.check(settings)
    if found is None:
        return
    kind, message = found
    if kind == "unreachable":
        click.echo(f"Warning: {message} Uploads of knowledge files fail until it answers.", err=True)
        return
    raise click.ClickException(message)


def _check_port_free(host: str, port: int) -> None:
    """Say plainly that the port is taken, before migrating and forking workers."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({exc.strerror}). Is Agora already running? "
                "Stop it, or choose another port with --port or AGORA_PORT."
            ) from exc


@main.command("worker")
@click.option("--threads", type=click.IntRange(1, 32), default=1, show_default=True, help="Ingestion threads.")
def worker_command(threads: int) -> None:
    """Ingest knowledge files (parse, cut, embed) until stopped with Ctrl-C or SIGTERM.

    Beside `agora serve` or instead of its own ingestion threads (AGORA_KNOWLEDGE_WORKERS=0),
    on this machine or another sharing the database and AGORA_HOME's knowledge folder."""
    import signal
    import threading

    from agora.knowledge.worker import Worker
    from agora.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    database = _database(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    worker = Worker(database, settings, threads=threads).start()
    click.echo(f"Ingesting knowledge files with {threads} thread(s); Ctrl-C stops.")
    try:
        while not stopped.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    worker.stop()
    database.dispose()


@main.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def migrate_command(revision: str) -> None:
    """Bring the database schema up to date (safe to run at any time)."""
    from agora import migrate

    database = _database(get_settings())
    migrate.upgrade(database, revision)
    click.echo(f"Database is at revision {revision} ({database.dialect}).")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Seed nothing when the store already holds GPTs (a demo store still gets featured picks for the coming weeks).")
def seed_demo(if_empty: bool) -> None:
    """Add the 505 demo GPTs, their builders and made-up activity that earns nothing (running it again adds nothing)."""
    from agora import migrate
    from agora.demo import catalogue, seed

    database = _database(get_settings())
    migrate.upgrade(database)
    if if_empty and not seed.is_empty(database):
        weeks = seed.top_up_featured(database, date.today())
        topped = f" Featured picks for {weeks} new week(s)." if weeks else ""
        click.echo(f"The store already has GPTs; not seeding.{topped}")
        return
    with click.progressbar(length=catalogue.count(), label="Seeding demo GPTs", file=sys.stderr) as bar:
        report = seed.seed_demo(database, on_progress=bar.update)
    click.echo(
        f"Created {report.gpts_created} GPTs and {report.builders_created} builders, and {report.acting_created} GPT(s) that act; "
        f"{report.gpts_existing} GPTs were already there. Featured picks for {report.weeks_featured} new week(s). "
        f"Demo activity (conversations, ratings, reviews; never counted as usage) for {report.gpts_with_activity} GPTs."
    )


@main.command("create-user")
@click.option("--email", required=True, help="Login email.")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--name", help="Display name [default: the email's local part].")
@click.option("--handle", default="", help="Public builder handle [default: derived from the name].")
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
@click.option("--plan", help="Subscription plan: free, plus, team or enterprise [default: the sign-up trial, then free].")
def create_user(email: str, password: str, name: str | None, handle: str, admin: bool, plan: str | None) -> None:
    """Create an account (with its personal workspace)."""
    from agora import migrate
    from agora.accounts import service
    from agora.billing.plans import check_plan

    database = _database(get_settings())
    migrate.upgrade(database)
    try:
        check_plan(plan)
        with database.session() as session:
            user = service.create_user(
                session,
                email=email,
                display_name=name or email.split("@")[0],
                password=password,
                handle=handle,
                role="admin" if admin else "user",
                email_verified=True,  # the operator vouches for the address they typed
            )
            if plan:
                from agora.billing.cli import apply_plan

                apply_plan(session, user, plan, seats=None)
    except AgoraError as error:
        _fail(error)
    click.echo(f"Created {'admin' if admin else 'user'} {user.email} (@{user.handle})" + (f" on the {plan} plan." if plan else "."))


@main.command("set-password")
@click.option("--email", required=True, help="The account's login email.")
@click.option("--password", required=True, help="The new password: at least 10 characters. Tell it to its owner privately.")
def set_password(email: str, password: str) -> None:
    """Give an account a new password (for someone who forgot theirs where no mail server is configured for reset links)."""
    from agora.accounts import service

    database = _database(get_settings())
    try:
        with database.session() as session:
            user = service.set_password(session, email.strip().lower(), password)
    except AgoraError as error:
        _fail(error)
    click.echo(f"Set a new password for {user.email}; their failed logins are forgotten.")


main.add_command(gpts_commands)  # agora gpts export/import
main.add_command(subscription_commands)  # agora subscription set
main.add_command(usage_commands)  # agora usage export
main.add_command(ledger_commands)  # agora ledger verify
main.add_command(payouts_commands)  # agora payouts run
main.add_command(credits_commands)  # agora credits add

main.add_command(api_key_commands)  # agora api-key create
main.add_command(audit_commands)  # agora audit verify/prune
main.add_command(retention_commands)  # agora retention run

if __name__ == "__main__":
    main()

"""`agora gpts export` and `agora gpts import`: GPTs as files, for backups and migrations."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from agora.db import Database
from agora.errors import AgoraError


@click.group()
def gpts() -> None:
    """Export and import GPTs as JSON files (format: docs/gpt-format.md)."""


@gpts.command("export")
@click.argument("gpt_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="File to write [default: standard output].")
def export_command(gpt_id: str, output: Path | None) -> None:
    """Write GPT_ID as an agora.gpt document, with its draft and every version."""
    from agora.accounts.models import User
    from agora.config import get_settings
    from agora.gpts import access
    from agora.gpts.export import export_document
    from agora.gpts.models import Gpt

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    with database.session() as session:
        gpt = session.get(Gpt, gpt_id)
        if gpt is None or gpt.deleted_at is not None:
            raise click.ClickException(f"There is no GPT {gpt_id}.")
        owner = session.get(User, gpt.owner_id)
        # The operator exports what the owner would: the owner's view through the access rules.
        document = export_document(session, access.find(session, gpt_id, owner), viewer=owner, settings=settings)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {gpt_id} to {output}.", err=True)


@gpts.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_email", required=True, help="Email of the user who will own the imported GPTs.")
def import_command(files: tuple[Path, ...], owner_email: str) -> None:
    """Import FILES (Agora exports, LobeHub agents, Open WebUI model exports, or many GPTs from a JSON
    list or CSV file of name, description, instructions, starters, capabilities), each file in its own
    transaction: a refused file is reported and the others are still imported; what a file held that
    Agora does not carry over is listed."""
    from agora import migrate
    from agora.accounts.service import user_by_email
    from agora.config import get_settings
    from agora.gpts import importing

    settings = get_settings()
    database = Database(settings.resolved_database_url())
    migrate.upgrade(database)
    with database.session() as session:
        owner = user_by_email(session, owner_email)
    if owner is None:
        raise click.BadParameter(f"no user has the email {owner_email}", param_hint="'--owner'")
    created, failures, notes = [], [], []
    with click.progressbar(files, label="Importing GPTs", file=sys.stderr, item_show_func=lambda p: p.name if p else "") as bar:
        for path in bar:
            try:
                parsed = importing.parse(importing.load_json(path.read_bytes()))
                with database.session() as session:
                    created += [importing.create(session, item, owner=owner, home=settings.home).id for item in parsed]
                notes += [f"{path}: {note}" for item in parsed for note in item.notes]
            except AgoraError as error:
                failures.append(f"{path}: {error.message}" + (f" ({error.field})" if error.field and error.field != "/" else ""))
    for line in notes + failures:
        click.echo(line, err=True)
    click.echo(f"Imported {len(created)} GPTs from {len(files) - len(failures)} of {len(files)} files for {owner_email}.")
    if failures:
        sys.exit(1)


@gpts.command("prune-avatars")
@click.option("--older-than-hours", default=24.0, show_default=True, type=click.FloatRange(min=0),
              help="Keep unused pictures younger than this: an upload may be waiting for its draft to be saved.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
def prune_avatars_command(older_than_hours: float, dry_run: bool) -> None:
    """Delete uploaded avatar pictures that no draft and no published version uses."""
    from agora.config import get_settings
    from agora.gpts.avatar_cleanup import prune

    settings = get_settings()
    with Database(settings.resolved_database_url()).session() as session:
        result = prune(session, settings.home, older_than_seconds=older_than_hours * 3600, dry_run=dry_run)
    for name in result.removed:
        click.echo(name)
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(f"{verb} {len(result.removed)} unused pictures ({result.bytes_freed / 1024:.0f} KB); {result.kept} kept.", err=True)

"""`agora api-key create --email E [--name N]`: make a key from the command line (printed once)."""

from __future__ import annotations

from datetime import timedelta

import click

from agora.accounts import api_keys
from agora.accounts import service as accounts
from agora.config import get_settings
from agora.db import Database, utcnow
from agora.errors import AgoraError


@click.group("api-key")
def api_key() -> None:
    """Manage API keys for the OpenAI-compatible API (/v1)."""


@api_key.command("create")
@click.option("--email", required=True, help="The account the key acts as.")
@click.option("--name", default="command line", show_default=True, help="What the key is for.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(api_keys.SCOPES), help="Repeat for several [default: all].")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Days until the key stops working [default: never].")
def create(email: str, name: str, scopes: tuple[str, ...], expires_days: int | None) -> None:
    """Create a key and print it; it is stored hashed and cannot be shown again."""
    database = Database(get_settings().resolved_database_url())
    try:
        with database.session() as session:
            user = accounts.user_by_email(session, email)
            if user is None:
                raise click.BadParameter(f"no account has the email {email}", param_hint="'--email'")
            expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
            _key, raw = api_keys.create(session, user=user, name=name, scopes=scopes or api_keys.SCOPES, expires_at=expires_at)
    except AgoraError as error:
        raise click.ClickException(error.message) from None
    finally:
        database.dispose()
    click.echo(raw)

"""`agora retention run`: apply every retention rule now (what `agora serve` does each hour)."""

from __future__ import annotations

import click


@click.group()
def retention() -> None:
    """Conversation retention and audit log pruning."""


@retention.command("run")
def run_command() -> None:
    """Delete the conversations past their workspace's retention (none under legal hold) and the audit entries past theirs."""
    from agora import housekeeping
    from agora.audit.cli import _database
    from agora.config import get_settings
    from agora.db import utcnow

    done = housekeeping.run(_database(), get_settings(), now=utcnow())
    click.echo(f"{done['conversations']} expired conversations deleted; {done['audit_entries']} audit entries pruned;"
               f" {done['delisted']} announced delistings carried out.")

"""Reading the audit log for a workspace's managers: its entries and its members' own (sign-ins, API keys), filtered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from agora.accounts.models import Membership
from agora.audit.models import AuditEntry
from agora.db import Database
from agora.errors import InvalidInput
from agora.i18n import gettext as _

PAGE = 100
EXPORT_BATCH = 1000
# What the page's filter offers: the actions' first part.
CATEGORIES = ("auth", "member", "user", "gpt", "api_key", "plan", "workspace", "retention", "audit")
_ACTION = re.compile(r"[a-z_]{1,30}(\.[a-z_]{1,30})?")


@dataclass(frozen=True)
class Filters:
    action: str = ""  # a category ("gpt") or one action ("gpt.deleted")
    actor: str = ""  # part of who acted (an email), any case
    since: date | None = None
    until: date | None = None  # inclusive

    @classmethod
    def parse(cls, action: str = "", actor: str = "", since: str = "", until: str = "") -> Filters:
        """The filters as typed, or InvalidInput naming the field that cannot be read."""
        action, actor = action.strip(), " ".join(actor.split())
        if action and not _ACTION.fullmatch(action):
            raise InvalidInput(_("Choose an action from the list, or type one like gpt.deleted."), field="action")
        if len(actor) > 254:
            raise InvalidInput(_("Who acted: at most 254 characters."), field="actor")
        return cls(action, actor, _day(since, "since"), _day(until, "until"))

    def query(self) -> dict[str, str]:
        """As URL parameters, for links (the next page, the export)."""
        shown = {"action": self.action, "actor": self.actor, "since": str(self.since or ""), "until": str(self.until or "")}
        return {key: value for key, value in shown.items() if value}


def _day(raw: str, field: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):  # fromisoformat alone also takes 20261201 and week dates
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise InvalidInput(_("Dates are written YYYY-MM-DD, e.g. 2026-12-01."), field=field)


def _statement(workspace_id: int, filters: Filters) -> Select:
    members = select(Membership.user_id).where(Membership.workspace_id == workspace_id)
    statement = select(AuditEntry).where(or_(
        AuditEntry.workspace_id == workspace_id,
        and_(AuditEntry.workspace_id.is_(None), AuditEntry.actor_id.in_(members)),  # a member's own sign-ins and keys
    ))
    if filters.action:
        exact = "." in filters.action
        statement = statement.where(AuditEntry.action == filters.action if exact else AuditEntry.action.startswith(filters.action + "."))
    if filters.actor:
        statement = statement.where(func.lower(AuditEntry.actor).contains(filters.actor.lower(), autoescape=True))
    if filters.since:
        statement = statement.where(AuditEntry.at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        statement = statement.where(AuditEntry.at < datetime.combine(filters.until + timedelta(days=1), time(), UTC))
    return statement


def page(database: Database, workspace_id: int, filters: Filters, *, before: int | None) -> tuple[list[AuditEntry], int | None]:
    """The newest matching entries (before entry `before`), and where the next page starts (None at the end)."""
    statement = _statement(workspace_id, filters)
    if before is not None:
        statement = statement.where(AuditEntry.seq < before)
    with database.session() as session:
        entries = list(session.scalars(statement.order_by(AuditEntry.seq.desc()).limit(PAGE + 1)))
        session.expunge_all()
    more = len(entries) > PAGE
    return entries[:PAGE], (entries[PAGE - 1].seq if more else None)


def as_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as one line of the JSONL export: every hashed field, and the hashes."""
    return {"seq": entry.seq, "at": entry.at.isoformat(timespec="microseconds"), "workspace_id": entry.workspace_id, "actor_id": entry.actor_id,
            "actor": entry.actor, "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
            "details": entry.details, "ip": entry.ip, "prev_hash": entry.prev_hash, "hash": entry.hash}


def export(database: Database, workspace_id: int, filters: Filters, *, through: int) -> Iterator[dict[str, Any]]:
    """Every matching entry up to entry `through`, oldest first, read a batch per transaction
    (a year of a large workspace's entries never sits in memory at once)."""
    after = 0
    while True:
        with database.session() as session:
            statement = _statement(workspace_id, filters).where(AuditEntry.seq > after, AuditEntry.seq <= through)
            batch = [as_record(entry) for entry in session.scalars(statement.order_by(AuditEntry.seq).limit(EXPORT_BATCH))]
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1]["seq"]

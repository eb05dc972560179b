"""A GPT's published versions: the list, one version, and a field-by-field diff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.errors import NotFound
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt, GptVersion
from agora.i18n import gettext as _


@dataclass(frozen=True)
class VersionInfo:
    number: int
    note: str
    created_at: datetime
    author_name: str
    author_handle: str
    live: bool


@dataclass(frozen=True)
class Change:
    """One field that differs; `path` is dotted (``localized.fr.name``, ``capabilities.maps``)."""

    path: str
    before: Any
    after: Any


def versions(session: Session, gpt: Gpt) -> list[VersionInfo]:
    """Newest first, with who published each and why."""
    rows = session.execute(
        select(GptVersion.number, GptVersion.note, GptVersion.created_at, User.display_name, User.handle)
        .join(User, User.id == GptVersion.author_id)
        .where(GptVersion.gpt_id == gpt.id)
        .order_by(GptVersion.number.desc())
    )
    return [VersionInfo(n, note, at, name, handle, n == gpt.published_version) for n, note, at, name, handle in rows]


def version(session: Session, gpt: Gpt, number: int) -> GptVersion:
    found = session.scalar(select(GptVersion).where(GptVersion.gpt_id == gpt.id, GptVersion.number == number))
    if found is None:
        latest = gpt.published_version or 0
        raise NotFound(
            _("Version %(number)s does not exist: this GPT has versions 1 to %(latest)d.", number=number, latest=latest)
            if latest
            else _("Version %(number)s does not exist: this GPT has not been published yet.", number=number),
            field="version",
        )
    return found


def diff(before: GptContent, after: GptContent) -> list[Change]:
    """Every leaf field whose value changed, in the order fields are declared."""
    return list(_changes("", before.model_dump(mode="json"), after.model_dump(mode="json")))


def _changes(prefix: str, before: Any, after: Any):
    if isinstance(before, dict) or isinstance(after, dict):  # a translation added or removed
        before, after = before or {}, after or {}
        keys = list(before) + [k for k in after if k not in before]
        for key in keys:
            yield from _changes(f"{prefix}.{key}" if prefix else key, before.get(key), after.get(key))
    elif before != after:
        yield Change(prefix, before, after)

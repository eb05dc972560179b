"""`agora gpts prune-avatars`: delete uploaded pictures no GPT uses any more.

A picture is stored when it is uploaded, before the draft that names it is saved, and a
builder who uploads another one leaves the first behind. A file is in use while a draft or
any published version names it (versions are kept forever, deleted GPTs' too: their
conversations stay readable). Only files older than a grace period go, so an upload whose
draft is being saved at that moment is never taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.gpts.avatars import FILE_NAME, URL_PREFIX, avatars_dir
from agora.gpts.models import Gpt, GptVersion


@dataclass(frozen=True)
class Pruned:
    removed: list[str]
    kept: int
    bytes_freed: int


def in_use(session: Session) -> set[str]:
    """File names that a draft or a published version points at."""
    names: set[str] = set()
    for column in (Gpt.draft["avatar"].as_string(), GptVersion.content["avatar"].as_string()):
        for (value,) in session.execute(select(column).where(column.like(URL_PREFIX + "%")).distinct()):
            names.add(value.removeprefix(URL_PREFIX))
    return names


def prune(session: Session, home: Path, *, older_than_seconds: float, dry_run: bool = False) -> Pruned:
    folder = avatars_dir(home)
    if not folder.is_dir():
        return Pruned([], 0, 0)
    used = in_use(session)
    cutoff = time.time() - older_than_seconds
    removed, kept, freed = [], 0, 0
    for path in sorted(folder.iterdir()):
        if not FILE_NAME.match(path.name):
            continue  # a temporary file being written, or something an operator put there
        if path.name in used or path.stat().st_mtime > cutoff:
            kept += 1
            continue
        freed += path.stat().st_size
        removed.append(path.name)
        if not dry_run:
            path.unlink(missing_ok=True)
    return Pruned(removed, kept, freed)

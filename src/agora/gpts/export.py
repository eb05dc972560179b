"""The Agora export document (format ``agora.gpt``, version 1; see docs/gpt-format.md).

Editors get everything needed to rebuild the GPT elsewhere: the draft, every version and
uploaded avatar pictures inlined as data URLs. Other viewers get the live version only,
without hidden instructions.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit import chain as audit
from agora.config import Settings
from agora.db import utcnow
from agora.gpts import access, avatars
from agora.gpts.content import UPLOADED_AVATAR, GptContent
from agora.gpts.models import Gpt, GptVersion

FORMAT = "agora.gpt"
FORMAT_VERSION = 1

# The knowledge files on a GPT's draft, as {"name", "sha256", "size"}. Knowledge sits above gpts (its files belong to GPTs),
# so it hands its reader down when loaded (agora.knowledge.files) instead of being imported here.
_knowledge_files: list[Callable[[Session, str], list[dict[str, Any]]]] = []


def read_knowledge_files_with(reader: Callable[[Session, str], list[dict[str, Any]]]) -> None:
    """Knowledge's reader of a draft's files, named in editors' exports (the files themselves are not exported)."""
    _knowledge_files[:] = [reader]


def knowledge_files(session: Session, gpt_id: str) -> list[dict[str, Any]]:
    if not _knowledge_files:
        raise RuntimeError("agora.knowledge is not loaded, so a GPT's knowledge files are unknown: import agora.knowledge.files")
    return _knowledge_files[0](session, gpt_id)


def export_document(session: Session, gpt: Gpt, *, viewer: User | None, settings: Settings) -> dict[str, Any]:
    """The document for a GPT the viewer can see (callers find it through access.find)."""
    is_editor = access.can(session, gpt, viewer, "edit")
    if is_editor:  # the whole definition, hidden instructions included, leaves Agora
        audit.record(session, "gpt.exported", actor=viewer, workspace_id=gpt.workspace_id, target_type="gpt", target_id=gpt.id,
                     details={"name": gpt.name})
    query = select(GptVersion).where(GptVersion.gpt_id == gpt.id).order_by(GptVersion.number)
    if not is_editor:
        query = query.where(GptVersion.number == gpt.published_version)
    versions: list[dict[str, Any]] = []
    for row in session.scalars(query):
        content = GptContent.model_validate(row.content)
        if not access.shows_instructions(session, gpt, viewer, content):
            content = access.redacted(content)
        versions.append(
            {"number": row.number, "note": row.note, "published_at": _iso(row.created_at), "content": _dump(content)}
        )
    draft = _dump(GptContent.model_validate(gpt.draft)) if is_editor else None
    contents = [v["content"] for v in versions] + ([draft] if draft else [])
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "gpt": {
            "id": gpt.id,
            "created_at": _iso(gpt.created_at),
            "updated_at": _iso(gpt.updated_at),
            "visibility": gpt.visibility,
            "allow_forks": gpt.allow_forks,
            "forked_from": gpt.forked_from_id,
            "published_version": gpt.published_version,
            "draft": draft,
            "versions": versions,
            "avatar_images": _avatar_images(contents, settings),
            # Named, not carried (they may be 512 MB each): an import says which to upload again.
            "knowledge_files": knowledge_files(session, gpt.id) if is_editor else [],
        },
    }


def _dump(content: GptContent) -> dict[str, Any]:
    return content.model_dump(mode="json")


def _avatar_images(contents: list[dict[str, Any]], settings: Settings) -> dict[str, str]:
    """Uploaded pictures the contents use, as data URLs keyed by their avatar value."""
    images = {}
    for content in contents:
        avatar = content["avatar"]
        if UPLOADED_AVATAR.match(avatar) and avatar not in images:
            path = avatars.path_for(settings.home, avatar.removeprefix(avatars.URL_PREFIX))
            if path is not None:  # a picture lost from disk is left out; import then uses the default emoji
                images[avatar] = "data:image/webp;base64," + base64.b64encode(path.read_bytes()).decode()
    return images


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None

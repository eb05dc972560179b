"""The builder's rules: create a GPT, edit its draft, publish, roll back, fork, delete.

The use cases (agora.gpts.usecases, shared by the pages and the JSON API) find the GPT
through `agora.gpts.access.find` and ask the plan first, so every function here receives a
GPT the caller is already allowed to act on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, defer

from agora import events
from agora.accounts import service as accounts
from agora.accounts.models import User
from agora.audit import chain as audit
from agora.db import utcnow
from agora.errors import Forbidden, InvalidInput
from agora.gpts import access
from agora.gpts.content import VISIBILITIES, GptContent
from agora.gpts.ids import new_gpt_id
from agora.gpts.models import Gpt, GptVersion
from agora.gpts.validation import parse_content
from agora.i18n import gettext as _
from agora.inputs import refuse_unstorable
from agora.store import listings
from agora.store.models import Category
from agora.text import fold
from agora.workspaces import service as workspaces

MAX_NOTE = 500


class UnknownCategory(InvalidInput):
    def __init__(self, slug: str) -> None:
        super().__init__(
            _("Unknown category %(slug)s: choose one of the store's categories.", slug=repr(slug)), field="category"
        )
        self.slug = slug


def create_gpt(
    session: Session,
    *,
    owner: User,
    content: GptContent,
    workspace_id: int | None = None,
    visibility: str = "private",
    allow_forks: bool = False,
    source: str | None = None,
    forked_from_id: str | None = None,
    offered_models: Sequence[str] | None = None,
) -> Gpt:
    """A new GPT holding `content` as its draft; nothing is published yet.

    It belongs to `workspace_id` (the owner must be a member), by default to the workspace
    the owner works in: a GPT shared with "my workspace" is shared with that team.
    """
    _check_settings(session, content, visibility, offered_models)
    gpt = Gpt(
        id=new_gpt_id(),
        owner_id=owner.id,
        workspace_id=_workspace_for(session, owner, workspace_id),
        visibility=visibility,
        allow_forks=allow_forks,
        source=source,
        forked_from_id=forked_from_id,
        draft=content.model_dump(mode="json"),
        name=content.name,
    )
    session.add(gpt)
    session.flush()
    return gpt


def update_draft(
    session: Session,
    gpt: Gpt,
    *,
    changes: dict[str, Any] | None = None,
    visibility: str | None = None,
    allow_forks: bool | None = None,
    offered_models: Sequence[str] | None = None,
    by: User | None = None,
) -> GptContent:
    """Apply `changes` (content fields) to the draft; the live version is untouched. `by`: who, for the audit log."""
    content = parse_content({**gpt.draft, **(changes or {})})
    if content.model == gpt.draft.get("model"):
        offered_models = None  # a model no longer offered stays until the builder changes it
    _check_settings(session, content, visibility or gpt.visibility, offered_models)
    gpt.draft = content.model_dump(mode="json")
    if visibility is not None and visibility != gpt.visibility:
        audit.record(session, "gpt.shared", actor=by, actor_label="" if by else "system", workspace_id=gpt.workspace_id, target_type="gpt",
                     target_id=gpt.id, details={"name": gpt.name, "from": gpt.visibility, "to": visibility})
        gpt.visibility = visibility
        if visibility == "public" and gpt.published_version is not None:
            events.publish(events.StoreSubmitted(session, gpt.id, gpt.published_version))  # the review decides, before the sync
        listings.sync(session, gpt)
    if allow_forks is not None:
        gpt.allow_forks = allow_forks
    gpt.updated_at = utcnow()  # sharing settings count as an edit too
    session.flush()
    return content


def publish(session: Session, gpt: Gpt, *, author: User, note: str = "", source: GptVersion | None = None) -> GptVersion:
    """Freeze the current draft as the next immutable version and make it the live one (`source`: the version rolled back to)."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("The change note is too long: at most %(max)d characters.", max=MAX_NOTE), field="note")
    refuse_unstorable(note, field="note")  # the editor page's form reaches here unchecked
    _category_id(session, GptContent.model_validate(gpt.draft).category)  # refuse before writing
    number = _last_number(session, gpt) + 1
    version = GptVersion(gpt_id=gpt.id, number=number, content=gpt.draft, note=note, author_id=author.id)
    session.add(version)
    gpt.published_version = number
    gpt.published_at = utcnow()
    session.flush()
    # Domains above this one that keep something per version (knowledge freezes the files) listen, in this transaction.
    events.publish(events.VersionPublished(session, gpt.id, version.id, source.id if source is not None else None))
    if gpt.visibility == "public":  # up for the store: the review (agora.moderation) sets review_state before the sync
        events.publish(events.StoreSubmitted(session, gpt.id, number))
    refresh_listing(session, gpt)
    audit.record(session, "gpt.published", actor=author, workspace_id=gpt.workspace_id, target_type="gpt", target_id=gpt.id,
                 details={"name": gpt.name, "version": number, "visibility": gpt.visibility})
    return version


def refresh_listing(session: Session, gpt: Gpt) -> None:
    """Copy what listings and search need from the live version onto the GPT row."""
    content = published_content(session, gpt)
    if content is not None:
        gpt.name = content.name
        gpt.category_id = _category_id(session, content.category)
        gpt.search_text = search_text(content)
        session.flush()
    listings.sync(session, gpt)  # the store's listing and search index, in this transaction


REVIEW_STATES = ("draft", "pending", "listed", "rejected", "delisted")


def set_review_state(session: Session, gpt: Gpt, state: str) -> None:
    """Where the GPT stands with the store's review; its listing follows (only a listed GPT is in the store)."""
    if state not in REVIEW_STATES:
        raise ValueError(f"unknown review state {state!r}")
    if gpt.review_state != state:
        gpt.review_state = state
        session.flush()
        listings.sync(session, gpt)


def _last_number(session: Session, gpt: Gpt) -> int:
    # Not published_version: an imported GPT may have an older version live.
    return session.scalar(select(func.max(GptVersion.number)).where(GptVersion.gpt_id == gpt.id)) or 0


def rollback(session: Session, gpt: Gpt, *, author: User, number: int, note: str = "") -> GptVersion:
    """Publish an old version's content again, as a new version; the draft follows it."""
    from agora.gpts.history import version

    old = version(session, gpt, number)
    gpt.draft = dict(old.content)
    return publish(session, gpt, author=author, note=note or _("Rolled back to version %(number)d", number=number), source=old)


def delete_gpt(session: Session, gpt: Gpt, *, by: User | None = None) -> None:
    """Soft delete: the GPT disappears everywhere, its conversations stay readable. `by`: who, for the audit log."""
    audit.record(session, "gpt.deleted", actor=by, workspace_id=gpt.workspace_id, target_type="gpt", target_id=gpt.id, details={"name": gpt.name})
    gpt.deleted_at = utcnow()
    session.flush()
    listings.sync(session, gpt)


def fork(session: Session, source: Gpt, *, user: User) -> Gpt:
    """A private copy of `source`'s live version (its draft, for its editors), crediting it."""
    is_editor = access.can(session, source, user, "edit")
    if not (source.allow_forks or is_editor):
        raise Forbidden(_("The builder of this GPT does not allow forks."))
    content = GptContent.model_validate(source.draft) if is_editor else published_content(session, source)
    if content is None:
        raise Forbidden(_("This GPT has no published version to fork yet."))
    if not is_editor and content.hide_instructions:
        raise Forbidden(_("The builder of this GPT keeps its instructions hidden, so it cannot be forked."))
    copy = create_gpt(session, owner=user, content=content, forked_from_id=source.id)
    version_id = None if is_editor else session.scalar(
        select(GptVersion.id).where(GptVersion.gpt_id == source.id, GptVersion.number == source.published_version))
    # Domains above this one that keep something per GPT (knowledge files) carry it over, in this transaction.
    events.publish(events.GptForked(session, copy.id, source.id, version_id))
    return copy


@dataclass(frozen=True)
class PublishedView:
    """A GPT as its page shows it: the GPT, its published content (None when it has none
    yet), its builder and its category."""

    gpt: Gpt
    content: GptContent | None
    builder: User
    category: Category | None


def published_view(session: Session, gpt_id: str, viewer: User | None) -> PublishedView:
    """What a GPT page shows of the GPT, read in one statement, for a viewer allowed to see
    it (access.find's rule: NotFound for anyone it is not shared with)."""
    parameters = {"gpt_id": gpt_id} | ({"viewer_id": viewer.id} if viewer else {})
    row = session.execute(_published_view_statement(viewer is not None), parameters).first()
    if row is None:
        raise access.not_found(gpt_id)
    gpt, content, builder, category = row
    parsed = GptContent.model_validate(content) if content is not None and gpt.published_version is not None else None
    return PublishedView(gpt, parsed, builder, category)


@functools.cache
def _published_view_statement(signed_in: bool) -> Select:
    # Built once (for visitors, and for any signed-in viewer): see access.SIGNED_IN.
    return (
        select(Gpt, GptVersion.content, User, Category)
        .join(User, User.id == Gpt.owner_id)
        .outerjoin(GptVersion, (GptVersion.gpt_id == Gpt.id) & (GptVersion.number == Gpt.published_version))
        .outerjoin(Category, Category.id == Gpt.category_id)
        .where(Gpt.id == bindparam("gpt_id"), access.allowed(access.SIGNED_IN if signed_in else None, "view"))
        .options(defer(Gpt.draft), defer(Gpt.search_text))  # the page shows neither: no JSON to parse
    )


def published_content(session: Session, gpt: Gpt) -> GptContent | None:
    if gpt.published_version is None:
        return None
    content = session.scalar(_VERSION_CONTENT, {"gpt_id": gpt.id, "number": gpt.published_version})
    return GptContent.model_validate(content)


# Built once: every chat message and /v1 GPT call reads its version's content (see access._usable_by_id).
_VERSION_CONTENT = select(GptVersion.content).where(GptVersion.gpt_id == bindparam("gpt_id"), GptVersion.number == bindparam("number"))


def search_text(content: GptContent) -> str:
    parts = [content.name, content.description, *content.tags]
    for translated in content.localized.values():
        parts += [translated.name, translated.description]
    return fold(" ".join(p for p in parts if p))


def _check_settings(session: Session, content: GptContent, visibility: str, offered_models: Sequence[str] | None) -> None:
    """Checks that need more than the content itself; run before anything is written."""
    if visibility not in VISIBILITIES:
        raise InvalidInput(
            _("Unknown visibility %(value)s: use one of %(allowed)s.", value=repr(visibility), allowed=", ".join(VISIBILITIES)),
            field="visibility",
        )
    _category_id(session, content.category)
    if offered_models is not None and content.model is not None and content.model not in offered_models:
        allowed = ", ".join(offered_models) or _("none: leave it empty for the default model")
        raise InvalidInput(
            _("Model %(model)s is not offered here. Offered models: %(allowed)s.", model=repr(content.model), allowed=allowed),
            field="model",
        )


def _workspace_for(session: Session, owner: User, wanted: int | None) -> int:
    if wanted is None:
        return workspaces.active_workspace_id(session, owner) or accounts.personal_workspace_id(session, owner)
    if not workspaces.is_member(session, owner, wanted):
        raise InvalidInput(_("You are not a member of workspace %(id)s: choose one of yours.", id=wanted), field="workspace_id")
    return wanted


def _category_id(session: Session, slug: str) -> int:
    category_id = session.scalar(select(Category.id).where(Category.slug == slug))
    if category_id is None:
        raise UnknownCategory(slug)
    return category_id

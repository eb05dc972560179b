"""The builder's use cases: one function per action, shared by the editor pages and the JSON API.

Each takes the acting user (None when signed out), the ids and the parsed input, and decides
everything in one place, before anything is written: who is signed in (Unauthorized), who
may act on the GPT (agora.gpts.access), what their plan allows (agora.gpts.plan_rules), then
the service's own validation. Pages (agora.gpts.routes) and the API (agora.gpts.api) only
parse requests and render results, so a check cannot be present on one path and forgotten on
the other: tests/gpts/test_usecases.py walks every action through both with someone who lacks
the right. The caller's session is the transaction: a refusal leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from agora import events
from agora.accounts.models import User
from agora.config import Settings
from agora.db import begin_writing
from agora.errors import Unauthorized
from agora.gpts import access, avatars, history, importing, listing, plan_rules, service
from agora.gpts.content import GptContent
from agora.gpts.export import export_document
from agora.gpts.models import Gpt, GptVersion
from agora.gpts.validation import check_chunking, parse_content
from agora.i18n import gettext as _


@dataclass(frozen=True)
class Picture:
    """An uploaded avatar: its first avatars.MAX_BYTES + 1 bytes (enough to know it is too big),
    the upload's announced size, and the input that carried it (named in a refusal)."""

    data: bytes
    size: int | None = None
    field: str = "avatar"


@dataclass(frozen=True)
class DraftIn:
    """A draft as sent: content fields (for an edit, only those sent), the sharing settings
    when sent, and a picture to store as the avatar."""

    fields: dict[str, Any] = field(default_factory=dict)
    visibility: str | None = None
    allow_forks: bool | None = None
    picture: Picture | None = None


@dataclass(frozen=True)
class Imported:
    format: str
    ids: list[str]
    notes: list[str]  # what the file held that Agora did not carry over


def signed_in(actor: User | None) -> User:
    """The acting user; a visitor is refused (the app sends pages to the login form, the API answers 401)."""
    if actor is None:
        raise Unauthorized(_("Log in to do this."))
    return actor


def create(session: Session, actor: User | None, settings: Settings, draft: DraftIn, *, workspace_id: int | None = None,
           offered_models: Sequence[str] | None = None, publish_note: str | None = None) -> Gpt:
    """A new GPT from its first draft, published at once when `publish_note` is given (the editor's Publish button)."""
    user = signed_in(actor)
    visibility = draft.visibility or "private"
    plan_rules.before_create(session, user, settings, visibility=visibility)  # covers publishing it: same visibility
    content = parse_content(_with_picture(draft, settings))
    check_chunking(content, settings.knowledge_chunk_tokens, settings.knowledge_chunk_overlap)
    gpt = service.create_gpt(session, owner=user, content=content, workspace_id=workspace_id, visibility=visibility,
                             allow_forks=bool(draft.allow_forks), offered_models=offered_models)
    if publish_note is not None:
        service.publish(session, gpt, author=user, note=publish_note)
    return gpt


def edit(session: Session, actor: User | None, settings: Settings, gpt_id: str, draft: DraftIn, *,
         offered_models: Sequence[str] | None = None, publish_note: str | None = None) -> Gpt:
    """Change the draft (the fields sent) and its sharing settings; publish it too when `publish_note` is given."""
    user = signed_in(actor)
    # Reads, then writes the draft (and, when the passage size changes, the knowledge files): on SQLite it starts as the writer,
    # as publish does, or an ingestion batch committing in between fails it with 'database is locked'.
    begin_writing(session)
    gpt = access.find(session, gpt_id, user, "edit")
    plan_rules.before_change(session, user, settings, gpt, visibility=draft.visibility, publishing=publish_note is not None)
    before = dict(gpt.draft)
    content = service.update_draft(session, gpt, changes=_with_picture(draft, settings), visibility=draft.visibility,
                                   allow_forks=draft.allow_forks, offered_models=offered_models, by=user)
    check_chunking(content, settings.knowledge_chunk_tokens, settings.knowledge_chunk_overlap)
    # Before publishing: a version published with this edit freezes the draft's files as the new content cuts them.
    events.publish(events.DraftSaved(session, gpt.id, before, settings))
    if publish_note is not None:
        service.publish(session, gpt, author=user, note=publish_note)
    return gpt


def set_avatar(session: Session, actor: User | None, settings: Settings, gpt_id: str, picture: Picture) -> str:
    """Store `picture` as the draft's avatar; returns the avatar value."""
    user = signed_in(actor)
    gpt = access.find(session, gpt_id, user, "edit")  # before the file is written: a stranger stores nothing
    avatar = avatars.store(picture.data, home=settings.home, field=picture.field, size=picture.size)
    service.update_draft(session, gpt, changes={"avatar": avatar})
    return avatar


def publish(session: Session, actor: User | None, settings: Settings, gpt_id: str, *, note: str = "") -> GptVersion:
    """Freeze the draft as the next version, which goes live."""
    user = signed_in(actor)
    # Reads, then writes the version (and the knowledge files frozen with it): on SQLite it starts as the writer, or a
    # commit by a background writer in between (an ingestion batch, the usage writer) fails it with 'database is locked'.
    begin_writing(session)
    gpt = access.find(session, gpt_id, user, "edit")
    plan_rules.before_change(session, user, settings, gpt, visibility=None, publishing=True)
    return service.publish(session, gpt, author=user, note=note)


def rollback(session: Session, actor: User | None, settings: Settings, gpt_id: str, *, number: int, note: str = "") -> GptVersion:
    """Publish version `number`'s content again as a new version (a publish: the same plan rule)."""
    user = signed_in(actor)
    begin_writing(session)  # as publish
    gpt = access.find(session, gpt_id, user, "edit")
    plan_rules.before_change(session, user, settings, gpt, visibility=None, publishing=True)
    before = dict(gpt.draft)
    version = service.rollback(session, gpt, author=user, number=number, note=note)
    events.publish(events.DraftSaved(session, gpt.id, before, settings))  # the draft now holds the old version's content
    return version


def fork(session: Session, actor: User | None, settings: Settings, gpt_id: str) -> Gpt:
    """A private copy of a GPT the actor can see (the service checks its builder allows forks)."""
    user = signed_in(actor)
    begin_writing(session)  # as edit: it reads, then writes the fork and its knowledge files
    source = access.find(session, gpt_id, user)
    plan_rules.before_create(session, user, settings, visibility="private")
    return service.fork(session, source, user=user)


def delete(session: Session, actor: User | None, gpt_id: str) -> None:
    """Remove the GPT everywhere; conversations with it stay readable."""
    user = signed_in(actor)
    service.delete_gpt(session, access.find(session, gpt_id, user, "edit"), by=user)


def import_document(session: Session, actor: User | None, settings: Settings, raw: bytes) -> Imported:
    """Create every GPT a document holds (parsed and checked in full first), all or none."""
    user = signed_in(actor)
    parsed = importing.parse(importing.load_json(raw))
    plan_rules.before_create(session, user, settings, visibility="private")  # an import always starts "Only me"
    ids = [importing.create(session, item, owner=user, home=settings.home).id for item in parsed]
    return Imported(parsed[0].format, ids, [note for item in parsed for note in item.notes])


def editable(session: Session, actor: User | None, gpt_id: str) -> Gpt:
    """A GPT the actor may edit (the editor page's)."""
    return access.find(session, gpt_id, signed_in(actor), "edit")


def read(session: Session, viewer: User | None, gpt_id: str) -> Gpt:
    """A GPT the viewer can see (visitors too, for one shared with everyone or by link)."""
    return access.find(session, gpt_id, viewer)


def export(session: Session, viewer: User | None, settings: Settings, gpt_id: str) -> dict[str, Any]:
    """The `agora.gpt` document of a GPT the viewer can see; editors get every version and the draft."""
    if viewer is not None:  # an editor's export is audited: on SQLite, be the writer before reading (db.begin_writing)
        begin_writing(session)
    return export_document(session, access.find(session, gpt_id, viewer), viewer=viewer, settings=settings)


def mine(session: Session, actor: User | None) -> list[listing.MyGpt]:
    """The GPTs the actor builds (and edits as a workspace admin), last edited first."""
    return listing.mine(session, signed_in(actor))


def versions(session: Session, actor: User | None, gpt_id: str) -> tuple[Gpt, list[history.VersionInfo]]:
    """Published versions, newest first: editors only, since old versions hold the instructions."""
    gpt = access.find(session, gpt_id, signed_in(actor), "edit")
    return gpt, history.versions(session, gpt)


def diff(session: Session, actor: User | None, gpt_id: str, *, before: int, after: int) -> tuple[Gpt, list[history.Change]]:
    """Field-by-field changes from version `before` to version `after` (editors only)."""
    gpt = access.find(session, gpt_id, signed_in(actor), "edit")
    old = GptContent.model_validate(history.version(session, gpt, before).content)
    new = GptContent.model_validate(history.version(session, gpt, after).content)
    return gpt, history.diff(old, new)


def _with_picture(draft: DraftIn, settings: Settings) -> dict[str, Any]:
    """The draft's fields, with an uploaded picture stored and named as the avatar (after the checks on who acts)."""
    if draft.picture is None:
        return dict(draft.fields)
    picture = draft.picture
    return {**draft.fields, "avatar": avatars.store(picture.data, home=settings.home, field=picture.field, size=picture.size)}

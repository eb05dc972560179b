"""Importing GPTs: detect the format of a JSON document, check all of it, then create.

Accepted: Agora's own export (``agora.gpt``), a LobeHub agent (source file or index
record) and an Open WebUI model export (one model or a list). Everything is validated
before the first row is written, so a refused file leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.errors import InvalidInput
from agora.gpts import avatars, bulk_import, formats, service
from agora.gpts.content import UPLOADED_AVATAR, VISIBILITIES, GptContent
from agora.gpts.export import FORMAT, FORMAT_VERSION
from agora.gpts.ids import is_gpt_id
from agora.gpts.models import Gpt
from agora.gpts.validation import invalid, parse_content
from agora.i18n import gettext as _
from agora.inputs import parse_json, refuse_unstorable
from agora.store.models import Category

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
# An upload of one document from a page: its multipart framing on top (agora.web.body_limit).
MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024
# Stands for a foreign file's picture until `create` stores it under its real name.
PENDING_AVATAR = avatars.URL_PREFIX + "0" * 64 + ".webp"


@dataclass
class Parsed:
    """One GPT ready to be created: its draft and the versions to publish, oldest first."""

    format: str
    draft: GptContent
    versions: list[tuple[GptContent, str]] = field(default_factory=list)
    published: int | None = None  # which of `versions` is live (1-based)
    visibility: str = "private"
    allow_forks: bool = False
    forked_from: str | None = None
    source_id: str | None = None  # the exported GPT's own id: credited when it lives here and is someone else's
    images: dict[str, bytes] = field(default_factory=dict)  # avatar value -> picture bytes
    categories: dict[str, str] = field(default_factory=dict)  # category slug -> where the file names it
    notes: list[str] = field(default_factory=list)  # what the file held that Agora did not carry over


def load_json(raw: bytes) -> Any:
    """The document: JSON, or the rows of a CSV file (bulk_import), told apart by the first character."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(_("The file is larger than 16 MB."), field="/")
    if bulk_import.looks_like_csv(raw):
        return bulk_import.read_csv(raw)
    return parse_json(raw, field="/")


def parse(data: Any) -> list[Parsed]:
    """Every GPT the document holds, fully validated; raises naming the JSON pointer."""
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return [_agora(data)]
    if isinstance(data, bulk_import.CsvRows) or bulk_import.is_bulk(data):
        source = "csv" if isinstance(data, bulk_import.CsvRows) else "json"
        rows = bulk_import.parse_rows(data, source=source)
        return [Parsed(bulk_import.FORMAT, content, categories={content.category: bulk_import.where(source, i) + "/category"}, notes=notes)
                for i, (content, notes) in enumerate(rows)]
    if formats.is_lobehub_source(data):
        return [_foreign("lobehub", formats.from_lobehub_source(data))]
    if formats.is_lobehub_record(data):
        return [_foreign("lobehub", formats.from_lobehub_record(data))]
    if formats.is_open_webui(data):
        models = data if isinstance(data, list) else [data]
        base = "" if isinstance(data, dict) else None
        return [_foreign("open-webui", formats.from_open_webui(m, base if base is not None else f"/{i}")) for i, m in enumerate(models)]
    raise InvalidInput(
        _(
            "This file matches no format Agora imports: an Agora export (\"format\": \"agora.gpt\"), "
            "a LobeHub agent (meta, config.systemRole), an Open WebUI model export (name, meta, params.system), "
            "or GPTs in bulk: a list of objects or a CSV file with a name column (docs/gpt-format.md)."
        ),
        field="/",
    )


def create(session: Session, parsed: Parsed, *, owner: User, home: Path) -> Gpt:
    """Create the GPT (and its versions); the caller's transaction makes it all or nothing."""
    for slug, pointer in parsed.categories.items():  # categories are data: checked against this store
        if session.scalar(select(Category.id).where(Category.slug == slug)) is None:
            raise InvalidInput(service.UnknownCategory(slug).message, field=pointer)
    renamed = {value: avatars.store(data, home=home, field="/gpt/avatar_images") for value, data in parsed.images.items()}

    def local(content: GptContent) -> GptContent:
        avatar = content.avatar
        if UPLOADED_AVATAR.match(avatar):
            avatar = renamed.get(avatar) or (avatar if avatars.path_for(home, avatar.removeprefix(avatars.URL_PREFIX)) else "🤖")
        return content.model_copy(update={"avatar": avatar})

    source = session.get(Gpt, parsed.source_id) if parsed.source_id else None
    if source is not None and source.owner_id != owner.id:
        forked_from: str | None = source.id  # someone else's GPT, imported: a copy that says where it came from
    else:
        forked_from = parsed.forked_from if parsed.forked_from and session.get(Gpt, parsed.forked_from) else None
    first = local(parsed.versions[0][0]) if parsed.versions else local(parsed.draft)
    # Always "Only me" at first, whatever the file says: the importer chooses who may use it
    # (an export of a public GPT used to come in public, listed under the importer's name).
    gpt = service.create_gpt(
        session, owner=owner, content=first, visibility="private", allow_forks=parsed.allow_forks, forked_from_id=forked_from
    )
    for content, note in parsed.versions:
        gpt.draft = local(content).model_dump(mode="json")
        service.publish(session, gpt, author=owner, note=note)
    if parsed.published is not None and parsed.published != gpt.published_version:
        gpt.published_version = parsed.published  # an older version was live when exported
        service.refresh_listing(session, gpt)
    gpt.draft = local(parsed.draft).model_dump(mode="json")
    session.flush()
    return gpt


def _agora(data: dict) -> Parsed:
    if data.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(
            _("Unsupported format_version %(version)s: this Agora reads version %(supported)d.",
              version=repr(data.get("format_version")), supported=FORMAT_VERSION),
            field="/format_version",
        )
    gpt = data.get("gpt")
    if not isinstance(gpt, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.", field="/gpt"), field="/gpt")
    versions_data = gpt.get("versions") or []
    if not isinstance(versions_data, list):
        raise InvalidInput(_("%(field)s must be a list.", field="/gpt/versions"), field="/gpt/versions")
    versions = []
    for i, version in enumerate(versions_data):
        if not isinstance(version, dict):
            raise InvalidInput(_("%(field)s must be a JSON object.", field=f"/gpt/versions/{i}"), field=f"/gpt/versions/{i}")
        note = version.get("note") or ""
        field_ = f"/gpt/versions/{i}/note"
        if not isinstance(note, str) or len(note) > service.MAX_NOTE:
            raise InvalidInput(_("%(field)s is too long: at most %(max)d characters.", field=field_, max=service.MAX_NOTE), field=field_)
        refuse_unstorable(note, field=field_)
        versions.append((_content(version.get("content"), f"/gpt/versions/{i}/content"), note))
    draft_data = gpt.get("draft")
    if draft_data is None and not versions:
        raise InvalidInput(_("%(field)s is required.", field="/gpt/draft"), field="/gpt/draft")
    draft = _content(draft_data, "/gpt/draft") if draft_data is not None else versions[-1][0]
    numbers = [v.get("number") for v in versions_data]
    live = gpt.get("published_version")
    published = numbers.index(live) + 1 if live in numbers else (len(versions) or None)
    visibility = gpt.get("visibility", "private")
    if visibility not in VISIBILITIES:
        raise InvalidInput(_("%(field)s must be one of: %(allowed)s.", field="/gpt/visibility", allowed=", ".join(VISIBILITIES)), field="/gpt/visibility")
    images = {key: _picture(value, f"/gpt/avatar_images/{key.replace('/', '~1')}") for key, value in (gpt.get("avatar_images") or {}).items()}
    forked_from = gpt.get("forked_from") if isinstance(gpt.get("forked_from"), str) and is_gpt_id(gpt["forked_from"]) else None
    categories = {content.category: f"/gpt/versions/{i}/content/category" for i, (content, _note) in enumerate(versions)}
    if draft_data is not None:
        categories.setdefault(draft.category, "/gpt/draft/category")
    source_id = gpt.get("id") if isinstance(gpt.get("id"), str) and is_gpt_id(gpt["id"]) else None
    return Parsed(FORMAT, draft, versions, published, visibility, bool(gpt.get("allow_forks")), forked_from, source_id, images, categories,
                  notes=_files_left_out(gpt.get("knowledge_files")))


def _files_left_out(listed: Any) -> list[str]:
    """What to tell the importer about the knowledge files the export names: an export never carries the files themselves."""
    if not isinstance(listed, list) or not listed:
        return []
    names = [str(item.get("name"))[:255] for item in listed if isinstance(item, dict) and item.get("name")]
    if not names:
        return []
    shown = ", ".join(names[:20]) + (_(" and %(count)d more", count=len(names) - 20) if len(names) > 20 else "")
    return [_("/gpt/knowledge_files: the GPT's %(count)d knowledge files were not included in the export (%(names)s): "
              "upload them again in the GPT's Knowledge section.", count=len(names), names=shown)]


def _foreign(format_name: str, foreign: formats.Foreign) -> Parsed:
    try:
        content = GptContent.model_validate(foreign.fields)
    except ValidationError as error:
        loc = [str(part) for part in error.errors()[0]["loc"]]
        raise invalid(error, field=_source_pointer(loc, foreign.pointers)) from None
    images = {}
    if foreign.avatar_data_url:
        images[PENDING_AVATAR] = _picture(foreign.avatar_data_url, foreign.pointers["avatar"])
        content = content.model_copy(update={"avatar": PENDING_AVATAR})
    return Parsed(format_name, content, images=images)


def _source_pointer(loc: list[str], pointers: dict[str, str]) -> str:
    """Where the failing value sits in the source file: the longest mapped prefix of its path."""
    for i in range(len(loc), 0, -1):
        key = "/".join(loc[:i])
        if key in pointers:
            return pointers[key] + "".join("/" + part for part in loc[i:])
    return "/" + "/".join(loc)


def _content(data: Any, pointer: str) -> GptContent:
    if not isinstance(data, dict):
        raise InvalidInput(_("%(field)s must be a JSON object.", field=pointer), field=pointer)
    return parse_content(data, pointer=pointer)


def _picture(value: Any, pointer: str) -> bytes:
    """Decode a data URL; the bytes are checked and re-encoded when stored."""
    if not isinstance(value, str) or not value.startswith("data:image/") or ";base64," not in value:
        raise InvalidInput(_("%(field)s must be a base64 data URL of a picture.", field=pointer), field=pointer)
    try:
        data = base64.b64decode(value.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(_("%(field)s must be a base64 data URL of a picture.", field=pointer), field=pointer) from None
    avatars.normalize(data, field=pointer)  # refuse a bad picture now, before anything is written
    return data

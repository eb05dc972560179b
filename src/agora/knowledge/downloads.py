"""Downloading a GPT's knowledge file, when its builder allows it: the cited files of the published version, to anyone who may use the GPT."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.config import Settings
from agora.errors import NotFound
from agora.gpts import access
from agora.gpts import service as gpts
from agora.i18n import gettext as _
from agora.knowledge import storage
from agora.knowledge.files import version_files

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


@dataclass(frozen=True)
class Download:
    name: str
    kind: str
    size: int
    sha256: str


def find(session: Session, gpt_id: str, file_id: int, user: User) -> Download:
    """The file, if the published version of a GPT `user` may use holds it and lets users download its files; NotFound otherwise
    (the same answer whether the GPT, the file or the permission is missing, so nothing is learnt by asking)."""
    missing = NotFound(_("There is no file %(id)s to download from this GPT.", id=file_id), field="file_id")
    try:
        gpt = access.find_usable(session, gpt_id, user)
    except NotFound:
        raise missing from None
    content = gpts.published_content(session, gpt)
    # Hidden instructions keep the files private too, whatever an older version's flag says.
    if content is None or not content.knowledge_downloads or content.hide_instructions or gpt.published_version is None:
        raise missing
    for file, document in version_files(session, gpt.id, gpt.published_version):
        if file.id == file_id:
            return Download(file.name, document.kind, document.size, document.sha256)
    raise missing


def open_bytes(download: Download, settings: Settings) -> Iterator[bytes]:
    """The file's bytes; the store is asked before the answer starts, so a store that is down is a 503, not a cut-off file."""
    blocks = storage.store_for(settings).chunks(download.sha256)
    try:
        first = next(blocks, b"")
    except FileNotFoundError:
        raise NotFound(_("The stored copy of this file is missing."), field="file_id") from None

    def stream() -> Iterator[bytes]:
        yield first
        yield from blocks

    return stream()


def disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name (no quotes, slashes or control characters) and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = UNSAFE.sub("_", ascii_name).strip(" .") or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def media_type(kind: str) -> str:
    return MEDIA_TYPES.get(kind, "application/octet-stream")

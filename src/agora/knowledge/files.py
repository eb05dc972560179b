"""Files on a GPT's draft: upload (checked, stored once per owner and content), list with their ingestion status, remove;
and the freezing of the draft's files into each published version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora import events
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.gpts.models import Gpt, GptVersion
from agora.i18n import gettext as _
from agora.knowledge import detect, storage
from agora.knowledge.embedders import model_of
from agora.knowledge.models import KnowledgeDocument, KnowledgeFile, KnowledgeVersionFile

MAX_NAME = 255


@dataclass(frozen=True)
class FileView:
    id: int
    name: str
    kind: str
    size: int
    status: str
    progress: float  # 0 to 1: chunks embedded of the document's chunks (1 when ready)
    chunks_done: int
    chunks_total: int
    pages: int
    error: str


def chunking(settings: Settings, chunk_tokens: int | None, chunk_overlap: int | None) -> tuple[int, int]:
    """The chunk size and overlap asked (else the settings'), checked."""
    size = settings.knowledge_chunk_tokens if chunk_tokens is None else chunk_tokens
    overlap = settings.knowledge_chunk_overlap if chunk_overlap is None else chunk_overlap
    if not 50 <= size <= 4000:
        raise InvalidInput(_("Chunks must be 50 to 4,000 tokens long."), field="chunk_tokens")
    if not 0 <= overlap < size:
        raise InvalidInput(_("The overlap must be at least 0 and less than the chunk size (%(size)s).", size=size), field="chunk_overlap")
    return size, overlap


@dataclass(frozen=True)
class Received:
    name: str
    sha256: str
    size: int
    kind: str


def receive(source: BinaryIO, *, name: str, settings: Settings) -> Received:
    """Check and store an upload by its content, outside any transaction (it may be 512 MB); the same bytes are stored once."""
    name = _clean_name(name)
    temporary, sha256, size = storage.receive(source, home=settings.home, max_bytes=settings.knowledge_max_file_bytes)
    try:
        kind = detect.kind_of(temporary, name)
    except InvalidInput:
        temporary.unlink()
        raise
    # Stored before any row is written: when the store is down the upload fails (503) with nothing half-written.
    storage.store_for(settings).keep(temporary, sha256)
    return Received(name, sha256, size, kind)


def attach(session: Session, gpt: Gpt, received: Received, *, settings: Settings, chunk_tokens: int | None = None,
           chunk_overlap: int | None = None) -> tuple[KnowledgeFile, KnowledgeDocument]:
    """Put a received file on the draft of `gpt`, with a queued document unless its owner has it already, cut the same way."""
    size, overlap = chunking(settings, chunk_tokens, chunk_overlap)
    refuse_when_full(session, gpt, settings, lock=True)
    found = select(KnowledgeDocument).filter_by(owner_id=gpt.owner_id, sha256=received.sha256, chunk_tokens=size, chunk_overlap=overlap)
    document = session.scalars(found).first()
    if document is None:
        document = KnowledgeDocument(owner_id=gpt.owner_id, sha256=received.sha256, size=received.size, kind=received.kind, chunk_tokens=size,
                                     chunk_overlap=overlap, status="queued", error="", chunks_done=0, chunks_total=0, pages=0, tokens=0,
                                     model="", attempts=0)
        try:
            with session.begin_nested():  # the same file uploaded twice at once: one document, both files on it
                session.add(document)
        except IntegrityError:
            document = session.scalars(found).one()
    elif document.status == "ready" and document.model != model_of(settings):
        # Embedded by another embedder than the one configured now: uploading it again embeds it anew.
        document.status, document.chunks_done, document.not_before, document.attempts = "queued", 0, None, 0
    file = KnowledgeFile(gpt_id=gpt.id, document_id=document.id, name=received.name)
    session.add(file)
    session.flush()
    return file, document


def _clean_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip().replace("\x00", "")
    if not name:
        raise InvalidInput(_("The file needs a name."), field="file")
    if len(name) > MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 20 else name[:MAX_NAME]
    return name


def refuse_when_full(session: Session, gpt: Gpt, settings: Settings, *, lock: bool = False) -> None:
    """InvalidInput when the draft has its most files. With `lock`, counted under the GPT row's lock (PostgreSQL;
    SQLite writes one at a time), so two uploads at once cannot both take the last place."""
    if lock:
        session.execute(select(Gpt.id).where(Gpt.id == gpt.id).with_for_update())
    count = session.scalars(select(func.count()).select_from(KnowledgeFile).where(KnowledgeFile.gpt_id == gpt.id, KnowledgeFile.removed_at.is_(None))).one()
    if count >= settings.knowledge_max_files:
        raise InvalidInput(_("A GPT can have at most %(max)s knowledge files: remove one first.", max=settings.knowledge_max_files), field="file")


def draft_files(session: Session, gpt_id: str) -> list[tuple[KnowledgeFile, KnowledgeDocument]]:
    rows = session.execute(
        select(KnowledgeFile, KnowledgeDocument).join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeFile.document_id)
        .where(KnowledgeFile.gpt_id == gpt_id, KnowledgeFile.removed_at.is_(None)).order_by(KnowledgeFile.id)
    )
    return [(file, document) for file, document in rows]


def version_files(session: Session, gpt_id: str, number: int) -> list[tuple[KnowledgeFile, KnowledgeDocument]]:
    rows = session.execute(_VERSION_FILES, {"gpt_id": gpt_id, "number": number})
    return [(file, document) for file, document in rows]


# Built once: every reply from a published GPT asks which files its version answers from, mostly to learn
# it has none; building this three-way join took 6 times as long as running it (measured with cProfile).
_VERSION_FILES = (
    select(KnowledgeFile, KnowledgeDocument)
    .join(KnowledgeVersionFile, KnowledgeVersionFile.file_id == KnowledgeFile.id)
    .join(GptVersion, GptVersion.id == KnowledgeVersionFile.version_id)
    .join(KnowledgeDocument, KnowledgeDocument.id == KnowledgeFile.document_id)
    .where(GptVersion.gpt_id == bindparam("gpt_id"), GptVersion.number == bindparam("number")).order_by(KnowledgeFile.id)
)


def view(file: KnowledgeFile, document: KnowledgeDocument) -> FileView:
    if document.status == "ready":
        progress = 1.0
    else:
        progress = document.chunks_done / document.chunks_total if document.chunks_total else 0.0
    return FileView(file.id, file.name, document.kind, document.size, document.status, round(progress, 3), document.chunks_done,
                    document.chunks_total, document.pages, document.error)


def remove(session: Session, gpt: Gpt, file_id: int) -> None:
    """Take a file off the draft. Versions published with it keep it (and its chunks)."""
    file = session.get(KnowledgeFile, file_id)
    if file is None or file.gpt_id != gpt.id or file.removed_at is not None:
        raise NotFound(_("This GPT has no file %(id)s.", id=file_id), field="file_id")
    frozen = session.scalar(select(func.count()).select_from(KnowledgeVersionFile).where(KnowledgeVersionFile.file_id == file.id))
    if frozen:
        file.removed_at = utcnow()
    else:
        session.delete(file)
    session.flush()


def freeze(published: events.VersionPublished) -> None:
    """The files a new version answers from: the draft's as published, or, for a rollback, those of the version rolled back to."""
    session = published.session
    if published.source_version_id is None:
        file_ids = [file.id for file, _document in draft_files(session, published.gpt_id)]
    else:
        file_ids = list(session.scalars(select(KnowledgeVersionFile.file_id).where(KnowledgeVersionFile.version_id == published.source_version_id)))
    session.add_all(KnowledgeVersionFile(version_id=published.version_id, file_id=file_id) for file_id in file_ids)
    session.flush()


# Publishing belongs to the gpts domain, below this one: it publishes an event rather than import knowledge.
events.subscribe(events.VersionPublished, freeze)

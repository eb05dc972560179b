"""Files on a GPT's draft: upload (checked, stored once per owner and content), list with their ingestion status, remove;
and the freezing of the draft's files into each published version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agora import events
from agora.config import Settings
from agora.db import utcnow
from agora.errors import InvalidInput, NotFound
from agora.gpts import export
from agora.gpts.content import MAX_CHUNK_TOKENS, MIN_CHUNK_TOKENS, GptContent
from agora.gpts.models import Gpt, GptVersion
from agora.i18n import gettext as _
from agora.knowledge import detect, keywords, storage
from agora.knowledge.embedders import model_of
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument, KnowledgeFile, KnowledgeVersionFile

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


def chunking(settings: Settings, gpt: Gpt, chunk_tokens: int | None = None, chunk_overlap: int | None = None) -> tuple[int, int]:
    """How a file uploaded to the draft of `gpt` is cut: the upload's own size and overlap when it asks, else the draft's
    (its content's knowledge_chunk_tokens / _overlap), else the store's settings; checked."""
    size, overlap = _draft_chunking(gpt.draft, settings)
    size = size if chunk_tokens is None else chunk_tokens
    overlap = overlap if chunk_overlap is None else chunk_overlap
    if not MIN_CHUNK_TOKENS <= size <= MAX_CHUNK_TOKENS:
        raise InvalidInput(_("Chunks must be 50 to 4,000 tokens long."), field="chunk_tokens")
    if not 0 <= overlap < size:
        raise InvalidInput(_("The overlap must be at least 0 and less than the chunk size (%(size)s).", size=size), field="chunk_overlap")
    return size, overlap


def _draft_chunking(content: dict, settings: Settings) -> tuple[int, int]:
    return GptContent.model_validate(content).chunking(settings.knowledge_chunk_tokens, settings.knowledge_chunk_overlap)


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
    size, overlap = chunking(settings, gpt, chunk_tokens, chunk_overlap)
    refuse_when_full(session, gpt, settings, lock=True)
    document = _document_for(session, gpt.owner_id, received.sha256, received.size, received.kind, size, overlap, settings)
    file = KnowledgeFile(gpt_id=gpt.id, document_id=document.id, name=received.name)
    session.add(file)
    session.flush()
    return file, document


def _document_for(session: Session, owner_id: int, sha256: str, size_bytes: int, kind: str, size: int, overlap: int,
                  settings: Settings | None) -> KnowledgeDocument:
    """The owner's document of these bytes cut this way, queued for ingestion when new (or, `settings` given, when embedded by
    another embedder than theirs)."""
    found = select(KnowledgeDocument).filter_by(owner_id=owner_id, sha256=sha256, chunk_tokens=size, chunk_overlap=overlap)
    document = session.scalars(found).first()
    if document is None:
        document = KnowledgeDocument(owner_id=owner_id, sha256=sha256, size=size_bytes, kind=kind, chunk_tokens=size, chunk_overlap=overlap,
                                     status="queued", error="", chunks_done=0, chunks_total=0, pages=0, tokens=0, model="", attempts=0)
        try:
            with session.begin_nested():  # the same file uploaded twice at once: one document, both files on it
                session.add(document)
        except IntegrityError:
            document = session.scalars(found).one()
    elif settings is not None and document.status == "ready" and document.model != model_of(settings):
        # Embedded by another embedder than the one configured now: uploading it again embeds it anew.
        document.status, document.chunks_done, document.not_before, document.attempts = "queued", 0, None, 0
    return document


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


def recut(saved: events.DraftSaved) -> None:
    """The draft's passage size or overlap changed: each draft file is cut again (a new document, queued, unless the owner
    has these bytes cut that way already). A file frozen in a published version stays there as it was, and the draft gets
    a new file row for the new cut; a document no file holds any more is dropped."""
    session = saved.session
    gpt = session.get(Gpt, saved.gpt_id)
    before, after = _draft_chunking(saved.before, saved.settings), _draft_chunking(gpt.draft, saved.settings)
    if before == after or after[1] >= after[0]:  # unchanged; or a rollback to a cut the store's defaults no longer fit: left as is
        return
    size, overlap = after
    for file, document in draft_files(session, gpt.id):
        if (document.chunk_tokens, document.chunk_overlap) == (size, overlap):
            continue
        cut = _document_for(session, gpt.owner_id, document.sha256, document.size, document.kind, size, overlap, saved.settings)
        if _frozen(session, file.id):
            file.removed_at = utcnow()
            session.add(KnowledgeFile(gpt_id=gpt.id, document_id=cut.id, name=file.name))
        else:
            file.document_id = cut.id
        session.flush()
        _drop_if_unused(session, document)


def carry_over(forked: events.GptForked) -> None:
    """A fork gets the files of what it copied: the source's draft files (an editor's fork), or its published version's
    files when that version lets users download them (the builder gives the files away already); a fork by someone else of
    a GPT whose files stay private gets none (its editor could read every passage through the search box). Same owner: the
    same documents; another owner: the same stored bytes, indexed again for them (documents are per owner)."""
    session = forked.session
    copy, source = session.get(Gpt, forked.gpt_id), session.get(Gpt, forked.source_id)
    if forked.version_id is None:
        held = draft_files(session, source.id)
    else:
        version = session.get(GptVersion, forked.version_id)
        if not GptContent.model_validate(version.content).knowledge_downloads:
            return
        held = version_files(session, source.id, version.number)
    for file, document in held:
        if copy.owner_id != document.owner_id:
            document = _document_for(session, copy.owner_id, document.sha256, document.size, document.kind, document.chunk_tokens,
                                     document.chunk_overlap, None)
        session.add(KnowledgeFile(gpt_id=copy.id, document_id=document.id, name=file.name))
    session.flush()


def _frozen(session: Session, file_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(KnowledgeVersionFile).where(KnowledgeVersionFile.file_id == file_id)))


def _drop_if_unused(session: Session, document: KnowledgeDocument) -> None:
    """Delete a document (its passages and keyword entries) no file holds; a worker ingesting it loses its lease and stops."""
    if session.scalar(select(func.count()).select_from(KnowledgeFile).where(KnowledgeFile.document_id == document.id)):
        return
    keywords.forget(session, document.id)
    session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
    session.delete(document)
    session.flush()


def exported(session: Session, gpt_id: str) -> list[dict]:
    """The draft's files as an export names them (agora.gpts.export): name, SHA-256 and size; never their content."""
    return [{"name": file.name, "sha256": document.sha256, "size": document.size} for file, document in draft_files(session, gpt_id)]


# Publishing, editing and forking belong to the gpts domain, below this one: it publishes events rather than import knowledge.
events.subscribe(events.VersionPublished, freeze)
events.subscribe(events.DraftSaved, recut)
events.subscribe(events.GptForked, carry_over)
export.read_knowledge_files_with(exported)

"""Ingestion jobs: a document not yet ready is a job, claimed by one worker at a time under a lease kept in the database.

A claim is one conditional UPDATE (the row's status and lease as read), so two workers never
both win it, on either database. The worker renews its lease after each batch of chunks; a
worker that dies leaves a lease that runs out, and the next claim starts the document over from
its file: its chunks so far are deleted first. Retrieval reads only documents whose status is
`ready`, set in the same transaction as the last vectors: nothing half-indexed is ever found.
The embedding server down is not a failure: the document goes back to `queued` with the
reason and a time to try again (in 30 s).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from agora.config import Settings
from agora.db import Database, begin_writing, rows_changed, utcnow
from agora.knowledge import chunking, keywords, parsing, storage
from agora.knowledge.embedders import Embedder, EmbedderUnavailable, embedder_for
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument

log = logging.getLogger("agora.knowledge")

LEASE = timedelta(seconds=60)
BATCH = 16  # chunks embedded between two progress updates (about 2 s with the bundled embedder on a loaded core)
RETRY_SECONDS = 30  # before trying an unavailable embedding server again
MAX_ATTEMPTS = 5  # claims of one document that ended with its worker gone: past this it fails rather than kill every worker
PENDING = ("queued", "parsing", "embedding")

WORKER_ID = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Lost(Exception):
    """Our lease was taken over (we were too slow): stop without writing."""


def claim(database: Database, worker: str = WORKER_ID) -> int | None:
    """Take one document to ingest, or None when there is nothing to do."""
    now = utcnow()
    with database.session() as session:
        candidates = session.execute(
            select(KnowledgeDocument.id, KnowledgeDocument.lease_until).where(
                KnowledgeDocument.status.in_(PENDING),
                or_(KnowledgeDocument.not_before.is_(None), KnowledgeDocument.not_before <= now),
                or_(KnowledgeDocument.lease_until.is_(None), KnowledgeDocument.lease_until < now),
            ).order_by(KnowledgeDocument.id).limit(5)
        ).all()
    for document_id, lease_until in candidates:
        with database.session() as session:
            taken = rows_changed(session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.id == document_id, KnowledgeDocument.status.in_(PENDING),
                       KnowledgeDocument.lease_until.is_(None) if lease_until is None else KnowledgeDocument.lease_until == lease_until)
                .values(lease_owner=worker, lease_until=now + LEASE, attempts=KnowledgeDocument.attempts + 1)
            ))
        if taken:
            return document_id
    return None


def run(database: Database, document_id: int, settings: Settings, worker: str = WORKER_ID) -> None:
    """Ingest a claimed document from its file: parse, chunk, embed batch by batch, then mark it ready (or failed, or waiting)."""
    with _writing(database) as session:
        document = session.get(KnowledgeDocument, document_id)
        if document is None or document.lease_owner != worker:
            return
        if document.attempts > MAX_ATTEMPTS:
            _finish(session, document, status="failed", error="Ingesting this file stopped its worker several times; it was given up.")
            return
        _start_over(session, document)
        kind, sha256 = document.kind, document.sha256
        size, overlap = document.chunk_tokens, document.chunk_overlap
    try:
        with storage.store_for(settings).local_copy(sha256) as path:  # a temporary copy when the store is a bucket
            pages = parsing.parse(path, kind)
        pieces = list(chunking.chunks(pages, size=size, overlap=overlap))
        tokens = sum(chunking.count_tokens(page.text) for page in pages)
        if tokens > settings.knowledge_max_file_tokens:
            raise parsing.ParseFailed(f"This file holds {tokens:,} tokens of text; at most {settings.knowledge_max_file_tokens:,} are allowed.")
        _embed_all(database, document_id, pieces, pages=len(pages), tokens=tokens, settings=settings, worker=worker)
    except parsing.ParseFailed as failure:
        _end(database, document_id, worker, status="failed", error=str(failure))
    except EmbedderUnavailable as trouble:
        _wait(database, document_id, worker, str(trouble))
    except storage.StorageUnavailable:  # the bucket is down: the file waits and is tried again, as for the embedder
        _wait(database, document_id, worker, "The knowledge file storage (the S3 bucket) cannot be reached.")
    except FileNotFoundError:
        _end(database, document_id, worker, status="failed", error="The stored copy of this file is missing; upload it again.")
    except _Lost:
        log.warning("knowledge document %s: lease lost to another worker", document_id)
    except Exception as error:
        log.exception("knowledge document %s could not be ingested", document_id)
        _end(database, document_id, worker, status="failed", error=f"This file could not be read ({type(error).__name__}).")


@contextmanager
def _writing(database: Database) -> Iterator[Session]:
    """A transaction that reads then writes: on SQLite it starts as the writer, rather than fail to become one midway."""
    with database.session() as session:
        begin_writing(session)
        yield session


def _start_over(session: Session, document: KnowledgeDocument) -> None:
    # Whatever a previous attempt wrote (a worker killed mid-file) goes first: chunks are written again from the file.
    keywords.forget(session, document.id)
    session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
    document.status, document.chunks_done, document.chunks_total = "parsing", 0, 0
    session.flush()


def _embed_all(database: Database, document_id: int, pieces: list[chunking.Chunk], *, pages: int, tokens: int, settings: Settings,
               worker: str) -> None:
    embedder = embedder_for(settings)
    with _writing(database) as session:
        document = _held(session, document_id, worker)
        document.status, document.chunks_total, document.pages, document.tokens = "embedding", len(pieces), pages, tokens
        document.error = ""
    for start in range(0, len(pieces), BATCH):
        batch = pieces[start: start + BATCH]
        vectors = embedder.embed([piece.text for piece in batch])
        with _writing(database) as session:
            document = _held(session, document_id, worker)
            _store(session, document_id, start, batch, vectors, embedder)
            document.chunks_done = start + len(batch)
            document.lease_until = utcnow() + LEASE
            if document.chunks_done == len(pieces):
                _finish(session, document, status="ready", error="", model=embedder.model)


def _store(session: Session, document_id: int, start: int, batch: list[chunking.Chunk], vectors: np.ndarray, embedder: Embedder) -> None:
    rows = [
        KnowledgeChunk(document_id=document_id, ordinal=start + i, page=piece.page, text=piece.text,
                       terms=" ".join(keywords.terms(piece.text)), model=embedder.model, vector=np.asarray(vector, dtype=np.float32).tobytes())
        for i, (piece, vector) in enumerate(zip(batch, vectors, strict=True))
    ]
    session.add_all(rows)
    session.flush()
    keywords.index(session, [(row.id, row.terms) for row in rows])


def _held(session: Session, document_id: int, worker: str) -> KnowledgeDocument:
    document = session.get(KnowledgeDocument, document_id, with_for_update=True)
    if document is None or document.lease_owner != worker:
        raise _Lost()
    return document


def _finish(session: Session, document: KnowledgeDocument, *, status: str, error: str, model: str = "") -> None:
    document.status, document.error, document.lease_owner, document.lease_until, document.not_before = status, error[:500], None, None, None
    if model:
        document.model = model
    if status == "failed":  # nothing of a failed document is kept for retrieval
        keywords.forget(session, document.id)
        session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
        document.chunks_done = 0


def _end(database: Database, document_id: int, worker: str, *, status: str, error: str) -> None:
    with _writing(database) as session:
        try:
            _finish(session, _held(session, document_id, worker), status=status, error=error)
        except _Lost:
            return


def _wait(database: Database, document_id: int, worker: str, reason: str) -> None:
    with _writing(database) as session:
        try:
            document = _held(session, document_id, worker)
        except _Lost:
            return
        waits = RETRY_SECONDS
        keywords.forget(session, document.id)
        session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.document_id == document.id))
        document.status, document.chunks_done, document.lease_owner, document.lease_until = "queued", 0, None, None
        document.attempts = 0  # waiting for the server is not a worker lost mid-file
        document.not_before = utcnow() + timedelta(seconds=waits)
        document.error = f"{reason[:400]} Waiting to try again in {waits} s."

"""Hybrid retrieval over a GPT's files (its draft's, or a published version's): keyword and vector search fused by reciprocal rank.

Vectors are searched exactly: one matrix product over the documents' vectors, which a GPT
has at most a few tens of thousands of (20 files); a process keeps each ready document's
matrix (a ready document never changes), so a query reads no vector from the database.
Keyword search is the databases' (agora.knowledge.keywords). Each list's rank r adds
1 / (60 + r) to a chunk's score (RRF, k = 60, as Cormack et al.), so neither list's raw
scores need calibrating against the other's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.config import Settings
from agora.knowledge import files, keywords
from agora.knowledge.embedders import Embedder, embedder_for
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument

RRF_K = 60
CANDIDATES = 50  # from each list, before fusing
MAX_QUERY_CHARS = 2000  # the question's end is what it asks: longer text is cut from the front
CACHED_DOCUMENTS = 2000


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    file_id: int
    file_name: str
    page: int | None
    text: str
    score: float


class _Matrices:
    """Each ready document's chunk ids and vectors for one model, kept in memory (least recently used go first)."""

    def __init__(self) -> None:
        self._held: OrderedDict[tuple[int, str, object], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, document_id: int, model: str, stamp: object, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
        # The stamp (the document's last change) tells a reused id (SQLite reuses the highest deleted one) from the document cached.
        key = (document_id, model, stamp)
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
        # A chunk not embedded (yet) has no vector: it is left out of both, so ids and rows stay aligned.
        rows = [(chunk_id, vector) for chunk_id, vector in session.execute(select(KnowledgeChunk.id, KnowledgeChunk.vector).where(
            KnowledgeChunk.document_id == document_id, KnowledgeChunk.model == model).order_by(KnowledgeChunk.id)) if vector is not None]
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(len(rows), -1) if rows else np.zeros((0, dimensions), np.float32)
        with self._lock:
            self._held[key] = (ids, matrix)
            while len(self._held) > CACHED_DOCUMENTS:
                self._held.popitem(last=False)
        return ids, matrix


MATRICES = _Matrices()
CACHED_QUESTIONS = 1024
_questions: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_questions_lock = threading.Lock()


def _question_vector(embedder: Embedder, query: str) -> np.ndarray:
    """The question's embedding, remembered for the last questions asked: a regenerated or edited reply, a retried
    /v1 call and the preview ask the same question again, and embedding it is most of a search's time."""
    key = (embedder.model, query)
    with _questions_lock:
        if key in _questions:
            _questions.move_to_end(key)
            return _questions[key]
    vector = embedder.embed([query], query=True)[0]
    with _questions_lock:
        _questions[key] = vector
        while len(_questions) > CACHED_QUESTIONS:
            _questions.popitem(last=False)
    return vector


def documents_of(session: Session, gpt_id: str, version: int | None) -> dict[int, tuple[int, str]]:
    """Ready documents the GPT answers from (its draft's files, or version `version`'s): document id -> (file id, file name)."""
    pairs = files.draft_files(session, gpt_id) if version is None else files.version_files(session, gpt_id, version)
    return {document.id: (file.id, file.name) for file, document in pairs if document.status == "ready"}


def search(session: Session, *, gpt_id: str, version: int | None, query: str, limit: int, settings: Settings,
           embedder: Embedder | None = None) -> list[Hit]:
    query = query.strip()[-MAX_QUERY_CHARS:]
    documents = documents_of(session, gpt_id, version)
    if not query or not documents:
        return []
    embedder = embedder or embedder_for(settings)
    keyword_ids = keywords.search(session, query, list(documents), limit=CANDIDATES)
    vector_ids = _nearest(session, embedder, query, documents)
    fused: dict[int, float] = {}
    for ranked in (keyword_ids, vector_ids):
        for rank, chunk_id in enumerate(ranked, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[:limit]
    chunks = {chunk.id: chunk for chunk in session.scalars(select(KnowledgeChunk).where(KnowledgeChunk.id.in_(best)))} if best else {}
    return [
        Hit(chunk_id, *documents[chunks[chunk_id].document_id], chunks[chunk_id].page, chunks[chunk_id].text, round(fused[chunk_id], 6))
        for chunk_id in best
    ]


def _nearest(session: Session, embedder: Embedder, query: str, documents: dict[int, tuple[int, str]]) -> list[int]:
    rows = session.execute(select(KnowledgeDocument.id, KnowledgeDocument.model, KnowledgeDocument.updated_at)
                           .where(KnowledgeDocument.id.in_(list(documents)))).all()
    stamps = {document_id: stamp for document_id, model, stamp in rows if model == embedder.model}
    usable = [document_id for document_id in documents if document_id in stamps]
    if not usable:
        return []  # files embedded by another model than the one configured now: keyword search only
    vector = _question_vector(embedder, query)
    parts = [MATRICES.get(session, document_id, embedder.model, stamps[document_id], len(vector)) for document_id in usable]
    ids = np.concatenate([p[0] for p in parts])
    matrix = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, len(vector)), np.float32)
    if not len(ids) or matrix.shape[1] != len(vector):
        return []
    scores = matrix @ vector
    top = np.argsort(-scores, kind="stable")[:CANDIDATES]
    return [int(ids[i]) for i in top]


def passages_for(session: Session, *, gpt_id: str, version: int | None, history: Sequence[dict], settings: Settings) -> list[Hit]:
    """Passages for the conversation's last user message (empty when the GPT has no ready files)."""
    question = next((_text(m.get("content")) for m in reversed(history) if m.get("role") == "user"), "")
    return search(session, gpt_id=gpt_id, version=version, query=question, limit=settings.knowledge_passages, settings=settings)


def _text(content: object) -> str:
    """A message's text: a string, or OpenAI's list of content parts (their text parts joined)."""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text")
    return str(content or "")

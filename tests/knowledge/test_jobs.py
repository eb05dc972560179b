"""Ingestion jobs: a worker killed mid-file, the embedding server down, an OpenAI-compatible embedder, on both databases."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update

from agora.db import utcnow
from agora.knowledge import jobs, retrieval, storage
from agora.knowledge.embedders import EmbedderUnavailable, named
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled
from tests.knowledge.embedding_standin import EmbeddingStandIn


@pytest.fixture
def embedding_server():
    standin = EmbeddingStandIn().start()
    yield standin
    standin.stop()


def _document(database) -> KnowledgeDocument:
    with database.session() as session:
        return session.scalars(select(KnowledgeDocument)).one()


def _time_passes(database) -> None:
    """The retry's wait (30 s) is over."""
    with database.session() as session:
        session.execute(update(KnowledgeDocument).values(not_before=utcnow() - timedelta(seconds=1)))


def _chunks(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(KnowledgeChunk))


def test_a_file_left_half_indexed_by_a_killed_worker_is_never_retrieved_and_restarts_cleanly(builder, database, server, quiet_workers):
    gpt_id = builder.create(name="Restart")
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    # A worker claims the file, writes two of its four passages, and dies (kill -9: nothing more is written).
    assert jobs.claim(database, worker="dead-worker") is not None
    pieces = 2
    jobs.BATCH, saved = pieces, jobs.BATCH
    try:
        real_embed = jobs._embed_all

        def die_after_first_batch(*args, **kwargs):
            embedder = named("bundled", server.settings)
            original = embedder.embed
            calls = []

            def embed(texts, query=False):
                if calls:
                    raise SystemExit("killed")
                calls.append(1)
                return original(texts, query=query)

            embedder.embed = embed
            try:
                real_embed(*args, **kwargs)
            finally:
                del embedder.embed

        jobs._embed_all = die_after_first_batch
        with pytest.raises(SystemExit):
            jobs.run(database, _document(database).id, server.settings, worker="dead-worker")
    finally:
        jobs._embed_all, jobs.BATCH = real_embed, saved
    half = _document(database)
    assert (half.status, half.chunks_done, half.chunks_total, _chunks(database)) == ("embedding", 2, 4, 2)
    with database.session() as session:
        assert retrieval.search(session, gpt_id=gpt_id, version=None, query="generator Tuesday", limit=5, settings=server.settings) == []
    # Its lease holds another worker off until it runs out.
    assert jobs.claim(database, worker="next-worker") is None
    with database.session() as session:
        session.execute(update(KnowledgeDocument).values(lease_until=utcnow() - timedelta(seconds=1)))
    document_id = jobs.claim(database, worker="next-worker")
    assert document_id == half.id
    jobs.run(database, document_id, server.settings, worker="next-worker")
    done = _document(database)
    assert (done.status, done.chunks_done, done.chunks_total, done.attempts, _chunks(database)) == ("ready", 4, 4, 2, 4)
    with database.session() as session:
        ordinals = session.scalars(select(KnowledgeChunk.ordinal).order_by(KnowledgeChunk.ordinal)).all()
        hits = retrieval.search(session, gpt_id=gpt_id, version=None, query="generator Tuesday", limit=5, settings=server.settings)
    assert ordinals == [0, 1, 2, 3] and hits[0].page == 3


def test_files_wait_while_the_embedding_server_is_down_then_become_ready(builder, database, server, quiet_workers, embedding_server):
    settings = server.settings.model_copy(update={"embedder": "openai", "embedding_base_url": embedding_server.base_url,
                                                  "embedding_model": "stand-in-embed", "embedding_timeout_seconds": 2})
    gpt_id = builder.create(name="Waiting")
    assert upload(builder, gpt_id, "handbook.pdf", pdf(PAGES)).status_code == 201
    embedding_server.stop()
    jobs.run(database, jobs.claim(database), settings)
    waiting = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[0]
    assert waiting["status"] == "queued" and "Could not reach the embedding server at http://127.0.0.1" in waiting["error"]
    assert "try again in 30 s" in waiting["error"] and _chunks(database) == 0
    assert jobs.claim(database) is None  # not before its time
    embedding_server.fail_with = 503
    embedding_server.start()
    _time_passes(database)
    jobs.run(database, jobs.claim(database), settings)
    refused = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[0]
    assert refused["status"] == "queued" and "refused the request (HTTP 503): the stand-in is overloaded" in refused["error"]
    embedding_server.fail_with = None
    _time_passes(database)
    jobs.run(database, jobs.claim(database), settings)
    ready = builder.client.get(f"/api/gpts/{gpt_id}/files").json()[0]
    assert (ready["status"], ready["error"]) == ("ready", "")
    model = f"openai:{embedding_server.base_url}#stand-in-embed"
    with database.session() as session:
        assert set(session.scalars(select(KnowledgeChunk.model))) == {model}  # the model id is stored with every vector
        hits = retrieval.search(session, gpt_id=gpt_id, version=None, query="generator tested Tuesday", limit=2, settings=settings)
        # The configured embedder is the bundled one: these vectors are another model's, so only keywords find them.
        keyword_only = retrieval.search(session, gpt_id=gpt_id, version=None, query="generator tested Tuesday", limit=2, settings=server.settings)
    assert hits[0].page == 3 and keyword_only[0].page == 3
    assert embedding_server.requests[-1]["model"] == "stand-in-embed"


def test_the_openai_embedder_speaks_the_wire_format(server, embedding_server):
    settings = server.settings.model_copy(update={"embedder": "openai", "embedding_base_url": embedding_server.base_url,
                                                  "embedding_model": "m", "embedding_api_key": "sk-test"})
    embedder = named("openai", settings)
    vectors = embedder.embed(["otters swim", "otters swim", "tax forms"] * 30)  # two requests of at most 64 inputs
    assert vectors.shape == (90, 64) and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert [len(r["input"]) for r in embedding_server.requests] == [64, 26]
    assert vectors[0] @ vectors[1] > 0.99 and vectors[0] @ vectors[2] < 0.5
    embedding_server.stop()
    with pytest.raises(EmbedderUnavailable, match="Could not reach the embedding server"):
        embedder.embed(["anything"])


def test_stored_files_are_kept_once_by_content(server, builder):
    gpt_id = builder.create(name="Store")
    data = b"The same words, twice."
    assert upload(builder, gpt_id, "a.txt", data).status_code == 201
    assert upload(builder, gpt_id, "b.txt", data).status_code == 201
    import hashlib

    stored = storage.path_of(server.settings.home, hashlib.sha256(data).hexdigest())
    assert stored.read_bytes() == data
    assert not list(storage.folder(server.settings.home).glob(".upload-*"))  # no temporary file left behind
    listed = wait_until_settled(builder, gpt_id)
    assert [f["status"] for f in listed] == ["ready", "ready"]

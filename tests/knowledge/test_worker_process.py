"""`agora worker` as a real process: it ingests queued files, and one killed with SIGKILL mid-file leaves nothing
retrievable; once its lease runs out the next worker starts the file over and finishes it. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from agora.accounts import service as accounts
from agora.db import utcnow
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.knowledge import files, retrieval
from agora.knowledge.models import KnowledgeChunk, KnowledgeDocument
from tests.conftest import AGORA
from tests.knowledge.conftest import pdf

PAGES = [f"Page {n}. The archive keeps record number {n * 7} about the lighthouse keepers of the northern coast." for n in range(1, 81)]


def _worker(settings, log) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(settings.home), AGORA_DATABASE_URL=settings.resolved_database_url(), AGORA_SECRET_KEY=settings.secret_key,
               AGORA_LOG_FORMAT="json")
    return subprocess.Popen([AGORA, "worker"], env=env, stdout=log.open("a"), stderr=subprocess.STDOUT)


def _document(database) -> KnowledgeDocument:
    with database.session() as session:
        return session.scalars(select(KnowledgeDocument)).one()


@pytest.mark.slow
def test_a_killed_worker_leaves_nothing_half_indexed_and_the_next_one_finishes(server, database, quiet_workers, tmp_path):
    settings = server.settings  # the worker processes share the test server's database and AGORA_HOME
    with database.session() as session:
        owner = accounts.create_user(session, email="ada@example.com", display_name="Ada", password=None)
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=GptContent(name="Archive"))
        gpt_id = gpt.id
        received = files.receive(io.BytesIO(pdf(PAGES)), name="archive.pdf", settings=settings)
        files.attach(session, gpt, received, settings=settings)
    first = _worker(settings, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 120
        while _document(database).chunks_done == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    half = _document(database)
    assert half.status == "embedding" and 0 < half.chunks_done < half.chunks_total == 80, (tmp_path / "worker.log").read_text()
    with database.session() as session:
        assert retrieval.search(session, gpt_id=gpt_id, version=None, query="record number 14", limit=3, settings=settings) == []
        # Its lease has not run out yet: time passes (the lease is 60 s).
        session.execute(update(KnowledgeDocument).values(lease_until=utcnow() - timedelta(seconds=1)))
    second = _worker(settings, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 180
        while _document(database).status != "ready" and time.monotonic() < deadline:
            time.sleep(0.2)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0  # SIGTERM stops it cleanly
    finally:
        if second.poll() is None:
            second.kill()
    done = _document(database)
    assert (done.status, done.chunks_done, done.attempts) == ("ready", 80, 2)
    with database.session() as session:
        assert session.scalars(select(KnowledgeChunk.ordinal).order_by(KnowledgeChunk.ordinal)).all() == list(range(80))
        hits = retrieval.search(session, gpt_id=gpt_id, version=None, query="record number 14", limit=3, settings=settings)
    assert hits[0].page == 2

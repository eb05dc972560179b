"""Knowledge files in an S3-compatible bucket: a real S3 server on loopback (moto's), uploads through the API, ingestion, the bucket down."""

from __future__ import annotations

import hashlib
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select, update

from agora.knowledge import jobs, storage
from agora.knowledge.models import KnowledgeDocument, KnowledgeFile
from agora.knowledge.worker import Worker
from tests.conftest import free_port
from tests.knowledge.conftest import PAGES, pdf, upload, wait_until_settled

KEYS = {"knowledge_s3_access_key_id": "agora-test", "knowledge_s3_secret_access_key": "agora-test-secret", "knowledge_s3_region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server on a loopback port, for this module's tests."""
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    yield f"http://127.0.0.1:{port}"
    moto.stop()


@pytest.fixture
def bucket(s3_endpoint):
    """A new, empty bucket, and a client to look into it."""
    name = f"agora-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="agora-test",
                          aws_secret_access_key="agora-test-secret")
    client.create_bucket(Bucket=name)
    return name, client


def _use_settings(server, **changes):
    """Serve with changed settings: the app's, and ingestion threads started again with them. Returns a function that restores both."""
    saved = server.app.state.settings
    server.app.state.knowledge_worker.stop()
    server.app.state.settings = saved.model_copy(update=changes)
    server.app.state.knowledge_worker = Worker(server.database, server.app.state.settings).start()

    def restore():
        server.app.state.knowledge_worker.stop()
        server.app.state.settings = saved
        server.app.state.knowledge_worker = Worker(server.database, saved).start()

    return restore


@pytest.fixture
def on_s3(server, s3_endpoint, bucket):
    """The test server stores knowledge files in `bucket`."""
    restore = _use_settings(server, knowledge_s3_bucket=bucket[0], knowledge_s3_endpoint_url=s3_endpoint, **KEYS)
    yield bucket
    restore()


def _objects(bucket) -> list[dict]:
    name, client = bucket
    return client.list_objects_v2(Bucket=name).get("Contents", [])


def _leftovers(server) -> list:
    """Temporary files (uploads being received, copies for parsing) left in AGORA_HOME/knowledge."""
    folder = storage.folder(server.settings.home)
    return list(folder.glob(".upload-*")) + list(folder.glob(".download-*")) if folder.exists() else []


def test_an_upload_goes_to_the_bucket_once_and_is_ingested_and_retrieved_from_it(server, builder, on_s3):
    gpt_id = builder.create(name="Bucket")
    data = pdf(PAGES)
    sha256 = hashlib.sha256(data).hexdigest()
    assert upload(builder, gpt_id, "handbook.pdf", data).status_code == 201
    assert upload(builder, gpt_id, "handbook-copy.pdf", data).status_code == 201  # the same bytes again

    objects = _objects(on_s3)
    assert [o["Key"] for o in objects] == [f"knowledge/{sha256}"] and objects[0]["Size"] == len(data)
    name, client = on_s3
    assert client.get_object(Bucket=name, Key=f"knowledge/{sha256}")["Body"].read() == data
    # Nothing kept on this machine: not the file, not the temporary copy the worker parsed.
    assert not storage.path_of(server.settings.home, sha256).exists()

    listed = wait_until_settled(builder, gpt_id)
    assert [f["status"] for f in listed] == ["ready", "ready"], listed
    assert listed[0]["pages"] == 4
    hits = builder.client.get(f"/api/gpts/{gpt_id}/knowledge/search", params={"q": "When is the generator tested?", "limit": 3}).json()["items"]
    assert hits[0]["page"] == 3 and "tested every Tuesday at 7 am" in hits[0]["text"]
    assert _leftovers(server) == []
    assert len(_objects(on_s3)) == 1


def test_with_the_bucket_down_an_upload_is_refused_naming_storage_and_nothing_is_written(server, builder, database):
    gpt_id = builder.create(name="No bucket")
    # Nothing listens on this port: every request to the "S3 server" is refused.
    restore = _use_settings(server, knowledge_s3_bucket="agora-down", knowledge_s3_endpoint_url=f"http://127.0.0.1:{free_port()}", **KEYS)
    try:
        response = upload(builder, gpt_id, "notes.txt", b"Words that have nowhere to go.")
    finally:
        restore()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "storage_unavailable" and "storage" in error["message"]
    assert response.headers["Retry-After"] == "30"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(KnowledgeFile)) == 0
        assert session.scalar(select(func.count()).select_from(KnowledgeDocument)) == 0
    assert _leftovers(server) == []
    assert builder.client.get(f"/api/gpts/{gpt_id}/files").json() == []


def test_a_bucket_unreachable_during_ingestion_makes_the_file_wait_with_the_reason(server, builder, database, on_s3, s3_endpoint):
    gpt_id = builder.create(name="Flaky bucket")
    server.app.state.knowledge_worker.stop()  # the test runs the job itself
    assert upload(builder, gpt_id, "notes.txt", b"The harbour opens at six in the morning.").status_code == 201
    down = server.app.state.settings.model_copy(update={"knowledge_s3_endpoint_url": f"http://127.0.0.1:{free_port()}"})
    document_id = jobs.claim(database)
    assert document_id is not None
    jobs.run(database, document_id, down)
    with database.session() as session:
        document = session.get(KnowledgeDocument, document_id)
        assert document.status == "queued" and "storage" in document.error and document.not_before is not None
    assert _leftovers(server) == []
    # The object itself was never lost: removed from the bucket behind Agora's back, the file fails saying so.
    name, client = on_s3
    client.delete_object(Bucket=name, Key=_objects(on_s3)[0]["Key"])
    with database.session() as session:
        session.execute(update(KnowledgeDocument).values(not_before=None))
    document_id = jobs.claim(database)
    jobs.run(database, document_id, server.app.state.settings)
    listed = builder.client.get(f"/api/gpts/{gpt_id}/files").json()
    assert listed[0]["status"] == "failed" and "missing" in listed[0]["error"]

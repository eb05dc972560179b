"""With AGORA_KNOWLEDGE_S3_BUCKET set, a missing bucket, refused keys or an unreachable server are said at start, naming the
setting to correct: `agora serve` stops for the first two and warns for the third, and /readyz reports each (still 200).
Real servers on loopback: moto's S3, a server refusing every request with 403, a port nobody listens on."""

from __future__ import annotations

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from agora.knowledge import storage
from tests.conftest import AGORA, free_port
from tests.knowledge.test_s3_storage import KEYS, bucket, s3_endpoint  # noqa: F401  (the fixtures, for these tests)


@pytest.fixture(scope="module")
def refusing_endpoint():
    """An S3-compatible address that refuses every request with 403, as S3 does for keys it does not know."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _refuse(self) -> None:
            body = b"<?xml version='1.0'?><Error><Code>InvalidAccessKeyId</Code><Message>No such key.</Message></Error>"
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET = do_PUT = _refuse

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _settings(server, **changes):
    return server.settings.model_copy(update={**KEYS, **changes})


def test_the_check_names_what_to_correct(server, s3_endpoint, bucket, refusing_endpoint):  # noqa: F811
    assert storage.check(server.settings) is None  # no bucket configured: nothing to check
    assert storage.check(_settings(server, knowledge_s3_bucket=bucket[0], knowledge_s3_endpoint_url=s3_endpoint)) is None
    kind, message = storage.check(_settings(server, knowledge_s3_bucket="no-such-bucket", knowledge_s3_endpoint_url=s3_endpoint))
    assert kind == "missing" and "'no-such-bucket' does not exist" in message and "AGORA_KNOWLEDGE_S3_BUCKET" in message
    kind, message = storage.check(_settings(server, knowledge_s3_bucket="agora", knowledge_s3_endpoint_url=refusing_endpoint))
    assert kind == "refused" and "AGORA_KNOWLEDGE_S3_ACCESS_KEY_ID" in message and "AGORA_KNOWLEDGE_S3_SECRET_ACCESS_KEY" in message
    closed = f"http://127.0.0.1:{free_port()}"
    kind, message = storage.check(_settings(server, knowledge_s3_bucket="agora", knowledge_s3_endpoint_url=closed))
    assert kind == "unreachable" and "AGORA_KNOWLEDGE_S3_ENDPOINT_URL" in message


def test_readyz_reports_the_bucket(server, s3_endpoint, bucket):  # noqa: F811
    saved = server.app.state.settings
    try:
        server.app.state.settings = _settings(server, knowledge_s3_bucket=bucket[0], knowledge_s3_endpoint_url=s3_endpoint)
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "knowledge_storage": "ok"}
        server.app.state.settings = _settings(server, knowledge_s3_bucket="gone-bucket", knowledge_s3_endpoint_url=s3_endpoint)
        degraded = httpx.get(f"{server.url}/readyz")
        assert degraded.status_code == 200 and degraded.json()["status"] == "degraded"
        assert degraded.json()["knowledge_storage"] == "missing" and "AGORA_KNOWLEDGE_S3_BUCKET" in degraded.json()["knowledge_storage_error"]
    finally:
        server.app.state.settings = saved


def _serve(tmp_path, **settings) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(tmp_path), AGORA_DATABASE_URL=f"sqlite:///{tmp_path / 'agora.db'}", AGORA_KNOWLEDGE_S3_REGION="us-east-1",
               AGORA_KNOWLEDGE_S3_ACCESS_KEY_ID="agora-test", AGORA_KNOWLEDGE_S3_SECRET_ACCESS_KEY="agora-test-secret")
    env.update({f"AGORA_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run([AGORA, "serve", "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=240)


def test_serve_stops_at_start_on_a_missing_bucket_or_refused_keys(tmp_path, s3_endpoint, refusing_endpoint):  # noqa: F811
    missing = _serve(tmp_path, knowledge_s3_bucket="no-such-bucket", knowledge_s3_endpoint_url=s3_endpoint)
    assert missing.returncode != 0 and "'no-such-bucket' does not exist" in missing.stderr and "AGORA_KNOWLEDGE_S3_BUCKET" in missing.stderr
    refused = _serve(tmp_path, knowledge_s3_bucket="agora", knowledge_s3_endpoint_url=refusing_endpoint)
    assert refused.returncode != 0 and "AGORA_KNOWLEDGE_S3_ACCESS_KEY_ID" in refused.stderr

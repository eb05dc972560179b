"""A stand-in OpenAI-compatible embedding server: real HTTP on loopback, POST /v1/embeddings in OpenAI's shapes.

Its vectors are hashed bags of words (64 dimensions): texts sharing words are near, which is
all retrieval tests need from it. `fail_with` makes it answer an error status; `stop()` takes
it away (connections refused), `start()` brings it back on the same port.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIMENSIONS = 64


def vector(text: str) -> list[float]:
    values = [0.0] * DIMENSIONS
    for word in re.findall(r"\w+", text.lower()):
        values[int(hashlib.sha256(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
    return values


class EmbeddingStandIn:
    def __init__(self) -> None:
        self.port = 0
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> EmbeddingStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                standin.requests.append(body)
                if self.path != "/v1/embeddings":
                    return self._answer(404, {"error": {"message": "no such path"}})
                if standin.fail_with is not None:
                    return self._answer(standin.fail_with, {"error": {"message": "the stand-in is overloaded"}})
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [{"object": "embedding", "index": i, "embedding": vector(text)} for i, text in enumerate(inputs)]
                return self._answer(200, {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})

            def _answer(self, status: int, payload: dict) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

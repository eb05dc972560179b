"""A stand-in OpenAI-compatible moderation server for tests: POST /v1/moderations, flagging texts that contain 'forbidden'."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agora.moderation.categories import CATEGORIES


class StandIn:
    def __init__(self, *, status: int = 200, shape_ok: bool = True) -> None:
        self.status, self.shape_ok = status, shape_ok
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body, "authorization": self.headers.get("Authorization")})
                if outer.status != 200:
                    payload = json.dumps({"error": {"message": "overloaded"}}).encode()
                elif not outer.shape_ok:
                    payload = json.dumps({"id": "modr-1", "outputs": []}).encode()
                else:
                    results = []
                    for text in body["input"]:
                        flagged = "forbidden" in text
                        categories = {c: False for c in CATEGORIES} | ({"violence": True} if flagged else {})
                        scores = {c: 0.001 for c in CATEGORIES} | ({"violence": 0.97} if flagged else {})
                        results.append({"flagged": flagged, "categories": categories, "category_scores": scores})
                    payload = json.dumps({"id": "modr-1", "model": body.get("model"), "results": results}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

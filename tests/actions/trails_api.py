"""A stand-in API for actions: real HTTP on loopback, its OpenAPI document served as YAML, each request recorded.

GET /trails?near=...  (listTrails, not consequential); POST /bookings (bookTrail, consequential);
GET /big (a body longer than 100,000 characters); GET /picture (an image); GET /fail (a 500).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DOCUMENT = """\
openapi: 3.1.0
info:
  title: Trails
  version: 1.0.0
servers:
  - url: {base}
paths:
  /trails:
    get:
      operationId: listTrails
      summary: Trails near a place
      parameters:
        - name: near
          in: query
          required: true
          description: A town or a park
          schema:
            type: string
  /bookings:
    post:
      operationId: bookTrail
      summary: Book a guided walk on a trail
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Booking'
  /big:
    get:
      operationId: bigAnswer
      summary: A very long answer
  /picture:
    get:
      operationId: picture
      summary: An image
  /fail:
    get:
      operationId: failing
      summary: Always fails
components:
  schemas:
    Booking:
      type: object
      required: [trail]
      properties:
        trail:
          type: string
        people:
          type: integer
"""


class TrailsApi:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _record(self, body: bytes = b"") -> dict:
                parts = urlsplit(self.path)
                seen = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query), "headers": dict(self.headers.items()),
                        "body": body.decode() if body else ""}
                outer.requests.append(seen)
                return seen

            def _answer(self, status: int, body: str, kind: str = "application/json") -> None:
                raw = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                seen = self._record()
                if seen["path"] == "/openapi.yaml":
                    self._answer(200, DOCUMENT.format(base=outer.base_url), "application/yaml")
                elif seen["path"] == "/trails":
                    near = seen["query"].get("near", [""])[0]
                    self._answer(200, json.dumps({"trails": [{"name": f"Ridge loop near {near}", "km": 7}]}))
                elif seen["path"] == "/big":
                    self._answer(200, "x" * 150_000, "text/plain; charset=utf-8")
                elif seen["path"] == "/picture":
                    self._answer(200, "PNG", "image/png")
                else:
                    self._answer(500, json.dumps({"error": "broken"}))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record(body)
                booking = json.loads(body or b"{}")
                self._answer(201, json.dumps({"booking": "B-1", "trail": booking.get("trail")}))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def document(self) -> str:
        return DOCUMENT.format(base=self.base_url)

    def start(self) -> TrailsApi:
        threading.Thread(target=self.server.serve_forever, daemon=True, name="trails-api").start()
        return self

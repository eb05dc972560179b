"""A stand-in model server that reads: OpenAI's chat-completions wire protocol (SSE when asked to stream) on loopback, answering
extractively from the knowledge passages the product put in its prompt.

Its answer is the one sentence of the numbered passages (`[n] file, page p:` blocks of the system message, as
agora.replies.compose.knowledge writes them) that is nearest the user's last message, followed by that passage's number,
e.g. "The generator is tested every Tuesday at 7 am. [1]". Nearest by the bundled multilingual embedder (so a French
question finds an English sentence), ties broken by shared words; with no passage in the prompt it says so. Deterministic:
a "perfect reader" that copies rather than understands. What it measures is whether retrieval and prompt composition hand
a model the fact, not any model's skill. `prompts` keeps every request's messages.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*:\n", re.MULTILINE)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
WORD = re.compile(r"\w+")
NOTHING = "The knowledge files say nothing about this."


def passages(system: str) -> list[tuple[int, str]]:
    """The numbered passages of a system message: (number, text)."""
    marks = list(PASSAGE.finditer(system))
    return [(int(mark.group(1)), system[mark.end(): marks[i + 1].start() if i + 1 < len(marks) else len(system)].strip())
            for i, mark in enumerate(marks)]


class Reader:
    """Picks the sentence to answer with; the embedder is loaded once (it takes seconds)."""

    def __init__(self) -> None:
        from agora.config import Settings
        from agora.knowledge.embedders import named

        self.embedder = named("bundled", Settings(_env_file=None))
        self._lock = threading.Lock()

    def answer(self, messages: list[dict]) -> str:
        system = "\n\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")
        question = next((str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), "")
        candidates = [(number, sentence.strip()) for number, text in passages(system)
                      for sentence in SENTENCE_END.split(text) if len(WORD.findall(sentence)) >= 3]
        if not candidates or not question.strip():
            return NOTHING
        with self._lock:  # one forward pass at a time: the embedder runs on one thread
            vectors = self.embedder.embed([question] + [sentence for _number, sentence in candidates])
        similarity = np.asarray(vectors[1:]) @ np.asarray(vectors[0])
        asked = {word.lower() for word in WORD.findall(question)}
        scores = [(float(similarity[i]), len(asked & {w.lower() for w in WORD.findall(sentence)}), -i)
                  for i, (_number, sentence) in enumerate(candidates)]
        best = max(range(len(candidates)), key=lambda i: scores[i])
        number, sentence = candidates[best]
        return f"{sentence} [{number}]"


class ReaderStandIn:
    def __init__(self) -> None:
        self.port = 0
        self.prompts: list[list[dict]] = []
        self.reader = Reader()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ReaderStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": f"no such path {self.path}", "type": "invalid_request_error"}})
                standin.prompts.append(body["messages"])
                text = standin.reader.answer(body["messages"])
                words = WORD.findall(text)
                usage = {"prompt_tokens": sum(len(WORD.findall(str(m.get("content") or ""))) for m in body["messages"]),
                         "completion_tokens": len(words), "total_tokens": 0}
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                head = {"id": "chatcmpl-reader", "created": int(time.time()), "model": body.get("model", "reader")}
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    return self._json(200, {**head, "object": "chat.completion", "usage": usage,
                                            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = {**head, "object": "chat.completion.chunk"}
                pieces = [{"role": "assistant", "content": ""}] + [{"content": piece} for piece in re.findall(r"\S+\s*", text)]
                for delta in pieces:
                    self._event({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    self._event({**chunk, "choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
                return None

            def _event(self, data: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")

            def _json(self, status: int, payload: dict) -> None:
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

"""A stand-in OpenAI-compatible server: real HTTP and real SSE on loopback, with failure modes.

Raw asyncio rather than a web framework, so it can misbehave exactly like a broken server:
close mid-body, hang, send malformed events. Tests queue a mode per coming request with
``next(...)``; the bench runs it as its own process (``python tests/providers/standin.py``).

Modes: "ok", "status:<code>", "hang" (never answers), "hang_midway", "drop" (connection
closed mid-stream), "malformed" (an event that is not JSON), "no_finish" (ends without a
finish reason), "split" (CRLF line ends, each event's line cut across two reads), "slow" (a long reply, `slow_gap` seconds between tokens), "tool_calls"
(the model calls the tools in `tool_calls` instead of answering; finish reason "tool_calls").
"ok" and "tool_calls" answer in OpenAI's wire format for the request: SSE chunks when it
says `"stream": true`, else one `chat.completion` JSON body.
GET .../models lists `listed_models`, refusing with 401 when `required_key` is set and not sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from collections import deque

# What "tool_calls" answers: (function name, JSON arguments) per call, streamed in small fragments.
DEFAULT_TOOL_CALLS = (("get_weather", '{"city": "Paris", "unit": "celsius"}'),)
ARGUMENT_FRAGMENT = 8


class StandIn:
    def __init__(self, *, reply: str = "Hello from the stand-in.", gap: float = 0.0, slow_gap: float = 0.1) -> None:
        self.reply, self.gap, self.slow_gap = reply, gap, slow_gap
        self.modes: deque[str] = deque()
        self.requests: list[dict] = []
        self.aborted = 0  # streams the client closed before the end: proof a stop reaches upstream
        self.tool_calls: list[tuple[str, str]] = list(DEFAULT_TOOL_CALLS)
        self.listed_models = ["standin", "other"]
        self.required_key: str | None = None
        self.authorizations: list[str] = []  # each request's Authorization header, "" when none
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next(self, *modes: str) -> None:
        self.modes.extend(modes)

    def reset(self) -> None:
        self.modes.clear()
        self.requests.clear()
        self.aborted = 0
        self.tool_calls = list(DEFAULT_TOOL_CALLS)
        self.required_key = None
        self.authorizations.clear()

    def start_in_thread(self) -> StandIn:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=4096))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True, name="standin-upstream").start()
        ready.wait(10)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            path, body, headers = request
            self.authorizations.append(headers.get("authorization", ""))
            if path.rstrip("/").endswith("/models"):
                await self._list_models(headers, writer)
                return
            mode = self.modes.popleft() if self.modes else "ok"
            self.requests.append(body)
            await self._answer(mode, body, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.aborted += 1
        finally:
            writer.close()

    async def _list_models(self, headers: dict, writer) -> None:
        if self.required_key and headers.get("authorization") != f"Bearer {self.required_key}":
            status, payload = 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
        else:
            status, payload = 200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "standin"} for m in self.listed_models]}
        raw = json.dumps(payload).encode()
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(raw)}\r\nconnection: close\r\n\r\n".encode() + raw)
        await writer.drain()

    async def _answer(self, mode: str, body: dict, reader, writer) -> None:
        if mode.startswith("status:"):
            code = int(mode.split(":")[1])
            payload = json.dumps({"error": {"message": f"stand-in refused with {code}", "type": "server_error"}}).encode()
            writer.write(f"HTTP/1.1 {code} Refused\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode() + payload)
            await writer.drain()
            return
        if mode == "hang":
            await reader.read()  # until the client gives up and closes
            self.aborted += 1
            return
        if mode in ("ok", "tool_calls") and not body.get("stream"):
            await self._answer_json(mode, body, writer)
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n")
        if mode == "tool_calls":
            await self._stream_tool_calls(body, writer)
            return
        words = _pieces(self.reply * (40 if mode == "slow" else 1))
        limit = max(1, min(len(words), int(body.get("max_tokens") or len(words))))
        gap = self.slow_gap if mode == "slow" else self.gap
        event = _split_event if mode == "split" else _event
        for index, word in enumerate(words[:limit]):
            if mode in ("drop", "hang_midway", "malformed") and index == 2:
                break
            await event(writer, _chunk(body, {"content": word}, None))
            if gap:
                await asyncio.sleep(gap)
        if mode == "drop":
            return  # close with the chunked body unfinished
        if mode == "hang_midway":
            await reader.read()
            self.aborted += 1
            return
        if mode == "malformed":
            await _send_chunk(writer, b'data: {"choices": [{"delta": \n\n')
        elif mode != "no_finish":
            await event(writer, _chunk(body, {}, "length" if limit < len(words) else "stop"))
            usage = {"prompt_tokens": sum(len(str(m.get("content", "")).split()) for m in body["messages"]), "completion_tokens": limit, "total_tokens": 0}
            await event(writer, {**_chunk(body, {}, None), "choices": [], "usage": usage})
        await _send_chunk(writer, b"data: [DONE]\n\n")
        await _send_chunk(writer, b"")

    async def _stream_tool_calls(self, body: dict, writer) -> None:
        """OpenAI's stream of tool calls: per call, a piece with id, type and name, then argument fragments."""
        await _event(writer, _chunk(body, {"role": "assistant", "content": None}, None))
        for index, (name, arguments) in enumerate(self.tool_calls):
            first = {"index": index, "id": f"call_standin{index}", "type": "function", "function": {"name": name, "arguments": ""}}
            await _event(writer, _chunk(body, {"tool_calls": [first]}, None))
            for start in range(0, len(arguments), ARGUMENT_FRAGMENT):
                fragment = {"index": index, "function": {"arguments": arguments[start:start + ARGUMENT_FRAGMENT]}}
                await _event(writer, _chunk(body, {"tool_calls": [fragment]}, None))
        await _event(writer, _chunk(body, {}, "tool_calls"))
        await _event(writer, {**_chunk(body, {}, None), "choices": [], "usage": self._tool_usage(body)})
        await _send_chunk(writer, b"data: [DONE]\n\n")
        await _send_chunk(writer, b"")

    async def _answer_json(self, mode: str, body: dict, writer) -> None:
        """A non-streamed `chat.completion`: the reply's text, or its tool calls."""
        if mode == "tool_calls":
            calls = [{"id": f"call_standin{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
                     for i, (name, arguments) in enumerate(self.tool_calls)]
            message, finish, usage = {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls", self._tool_usage(body)
        else:
            words = _pieces(self.reply)
            limit = max(1, min(len(words), int(body.get("max_tokens") or len(words))))
            message, finish = {"role": "assistant", "content": "".join(words[:limit])}, "length" if limit < len(words) else "stop"
            usage = {"prompt_tokens": _prompt_words(body), "completion_tokens": limit, "total_tokens": _prompt_words(body) + limit}
        payload = json.dumps({
            "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", "standin"),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}], "usage": usage,
        }).encode()
        writer.write(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode() + payload)
        await writer.drain()

    def _tool_usage(self, body: dict) -> dict:
        completion = sum(len(arguments) // 4 + 1 for _name, arguments in self.tool_calls)
        return {"prompt_tokens": _prompt_words(body), "completion_tokens": completion, "total_tokens": _prompt_words(body) + completion}


def _prompt_words(body: dict) -> int:
    return sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]


def _chunk(body: dict, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": int(time.time()), "model": body.get("model", "standin"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _event(writer, data: dict) -> None:
    await _send_chunk(writer, b"data: " + json.dumps(data).encode() + b"\n\n")


async def _split_event(writer, data: dict) -> None:
    """An event with CRLF line ends, sent in two halves a moment apart: its line arrives in two reads."""
    raw = b"data: " + json.dumps(data).encode() + b"\r\n\r\n"
    await _send_chunk(writer, raw[: len(raw) // 2])
    await writer.drain()
    await asyncio.sleep(0.01)
    await _send_chunk(writer, raw[len(raw) // 2:])


async def _send_chunk(writer, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict, dict] | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    return path, json.loads(raw or b"{}"), headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":  # the bench's upstream, in its own process
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--gap-ms", type=float, default=20)
    args = parser.parse_args()
    standin = StandIn(reply=" ".join(["token"] * args.tokens), gap=args.gap_ms / 1000)

    async def serve() -> None:
        server = await asyncio.start_server(standin._handle, "127.0.0.1", args.port, backlog=4096)
        print("ready", flush=True)
        await server.serve_forever()

    asyncio.run(serve())

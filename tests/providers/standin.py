"""A stand-in OpenAI-compatible server: real HTTP and real SSE on loopback, with failure modes.

Raw asyncio rather than a web framework, so it can misbehave exactly like a broken server:
close mid-body, hang, send malformed events. Tests queue a mode per coming request with
``next(...)``; the bench runs it as its own process (``python tests/providers/standin.py``).

Modes: "ok"; "status:<code>" (with "status:<code>:<seconds>", a Retry-After header too);
"hang" (never answers); "hang_midway"; "close" (closed without answering); "garbage" (an
answer that is not HTTP); "drop" (closed mid-stream, or mid-body for a whole reply);
"malformed" (an event, or a whole reply, that is not JSON); "shapeless" (a whole reply
without a message); "error_midway" (an error event after two tokens); "no_finish" (ends
without a finish reason); "split" (CRLF line ends, each event's line cut across two reads);
"slow" (a long reply, `slow_gap` seconds between tokens); "burst" (the whole stream in one
write, as a reader that fell behind finds it); "tool_calls" (the model calls the tools in
`tool_calls` instead of answering; finish reason "tool_calls"); "leak" (answers "ok" with the
request's system message word for word: a model giving its instructions away, the worst case
for agora.replies.leaks; `default_mode` "leak" makes every request so).
With `gap` set (the bench's upstream), "ok" streams are driven by one timer for all of them
(`_Ticker`): each tick writes the next chunk to every open stream, already encoded, so 1,000
streams cost the stand-in one loop iteration per tick rather than 1,000 sleeps and wake-ups.
"ok" and "tool_calls" answer in OpenAI's wire format for the request: SSE chunks when it
says `"stream": true`, else one `chat.completion` JSON body.
GET .../models lists `listed_models`, refusing with 401 when `required_key` is set and not sent.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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
        self.default_mode = "ok"  # a request's mode when none is queued
        self.requests: list[dict] = []
        self.aborted = 0  # streams the client closed before the end: proof a stop reaches upstream
        self.tool_calls: list[tuple[str, str]] = list(DEFAULT_TOOL_CALLS)
        self.listed_models = ["standin", "other"]
        self.required_key: str | None = None
        self.authorizations: list[str] = []  # each request's Authorization header, "" when none
        self.proxy_authorizations: list[str] = []  # and its Proxy-Authorization header
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: _Ticker | None = None

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
        self.default_mode = "ok"
        self.required_key = None
        self.authorizations.clear()
        self.proxy_authorizations.clear()

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
            self.proxy_authorizations.append(headers.get("proxy-authorization", ""))
            if path.rstrip("/").endswith("/models"):
                await self._list_models(headers, writer)
                return
            mode = self.modes.popleft() if self.modes else self.default_mode
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
        reply = self.reply
        if mode == "leak":
            mode, reply = "ok", next((str(m.get("content") or "") for m in body.get("messages", []) if m.get("role") == "system"), reply)
        if mode.startswith("status:"):
            code, *wait = mode.split(":")[1:]
            payload = json.dumps({"error": {"message": f"stand-in refused with {code}", "type": "server_error"}}).encode()
            retry_after = f"retry-after: {wait[0]}\r\n" if wait else ""
            writer.write(f"HTTP/1.1 {code} Refused\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n{retry_after}"
                         f"connection: close\r\n\r\n".encode() + payload)
            await writer.drain()
            return
        if mode == "hang":
            await reader.read()  # until the client gives up and closes
            self.aborted += 1
            return
        if mode == "close":
            return  # the connection closed without a word
        if mode == "garbage":
            writer.write(b"SMTP ready\r\n\r\n")  # not HTTP at all
            await writer.drain()
            return
        if not body.get("stream") and mode in ("malformed", "shapeless", "drop"):
            await self._answer_broken_json(mode, writer)
            return
        if mode in ("ok", "tool_calls") and not body.get("stream"):
            await self._answer_json(mode, body, writer, reply)
            return
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        if mode == "burst":
            words = _pieces(reply)
            limit = max(1, min(len(words), int(body.get("max_tokens") or len(words))))
            writer.write(head + b"".join(_encoded_stream(body, words[:limit], limit < len(words))))
            await writer.drain()
            return
        writer.write(head)
        if mode == "tool_calls":
            await self._stream_tool_calls(body, writer)
            return
        words = _pieces(reply * (40 if mode == "slow" else 1))
        limit = max(1, min(len(words), int(body.get("max_tokens") or len(words))))
        if mode == "ok" and self.gap:
            if self._ticker is None:
                self._ticker = _Ticker(self.gap)
            if not await self._ticker.stream(_encoded_stream(body, words[:limit], limit < len(words)), writer):
                self.aborted += 1
            return
        gap = self.slow_gap if mode == "slow" else self.gap
        event = _split_event if mode == "split" else _event
        for index, word in enumerate(words[:limit]):
            if mode in ("drop", "hang_midway", "malformed", "error_midway") and index == 2:
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
        elif mode == "error_midway":
            await _event(writer, {"error": {"message": "the stand-in's model crashed", "type": "server_error"}})
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

    async def _answer_json(self, mode: str, body: dict, writer, reply: str) -> None:
        """A non-streamed `chat.completion`: the reply's text, or its tool calls."""
        if mode == "tool_calls":
            calls = [{"id": f"call_standin{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
                     for i, (name, arguments) in enumerate(self.tool_calls)]
            message, finish, usage = {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls", self._tool_usage(body)
        else:
            words = _pieces(reply)
            limit = max(1, min(len(words), int(body.get("max_tokens") or len(words))))
            message, finish = {"role": "assistant", "content": "".join(words[:limit])}, "length" if limit < len(words) else "stop"
            usage = {"prompt_tokens": _prompt_words(body), "completion_tokens": limit, "total_tokens": _prompt_words(body) + limit}
        payload = json.dumps({
            "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()), "model": body.get("model", "standin"),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}], "usage": usage,
        }).encode()
        writer.write(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode() + payload)
        await writer.drain()

    async def _answer_broken_json(self, mode: str, writer) -> None:
        """A success status, then a body that is not JSON, JSON without a message, or cut off (the connection closes early)."""
        payload = {"malformed": b'{"choices": [{"message": ', "shapeless": b'{"object": "chat.completion"}'}.get(mode, b'{"id": "chatcmpl-standin"')
        length = len(payload) + (100 if mode == "drop" else 0)
        writer.write(f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n".encode()
                     + payload)
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


def _encoded_stream(body: dict, words: list[str], cut: bool) -> list[bytes]:
    """A whole "ok" stream as the HTTP chunks to write, one per tick: the tokens, then the finish
    reason, usage, [DONE] and the body's end together. Encoded once per distinct stream."""
    key = (body.get("model"), _prompt_words(body), tuple(words), cut)
    found = _ENCODED.get(key)
    if found is None:
        usage = {"prompt_tokens": _prompt_words(body), "completion_tokens": len(words), "total_tokens": 0}
        tokens = [_chunk_bytes(b"data: " + json.dumps(_chunk(body, {"content": word}, None)).encode() + b"\n\n") for word in words]
        end = b"".join([
            _chunk_bytes(b"data: " + json.dumps(_chunk(body, {}, "length" if cut else "stop")).encode() + b"\n\n"),
            _chunk_bytes(b"data: " + json.dumps({**_chunk(body, {}, None), "choices": [], "usage": usage}).encode() + b"\n\n"),
            _chunk_bytes(b"data: [DONE]\n\n"), _chunk_bytes(b""),
        ])
        found = _ENCODED[key] = [*tokens, end]
    return found


_ENCODED: dict[tuple, list[bytes]] = {}  # prompts differ, usage by a word or two: a handful of entries


class _Ticker:
    """Writes the next chunk of every open stream on each tick, `gap` seconds apart.

    A stream's first chunk goes out when it starts (no wait for the tick), the following ones
    on the ticks after it. Ticks keep to a fixed grid; one that runs late is not caught up
    (that would send two chunks at once), the grid restarts from it instead.
    """

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self._streams: list[list] = []  # [chunks, next index, writer, future]
        self._next_tick: float | None = None

    async def stream(self, chunks: list[bytes], writer) -> bool:
        """Write `chunks`, one per tick; False when the client went away first."""
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        writer.write(chunks[0])
        if len(chunks) == 1:
            return True
        self._streams.append([chunks, 1, writer, ended])
        if self._next_tick is None:
            self._next_tick = loop.time() + self.gap
            loop.call_at(self._next_tick, self._tick)
        return await ended

    def _tick(self) -> None:
        still = []
        for entry in self._streams:
            chunks, at, writer, ended = entry
            if writer.is_closing():
                ended.set_result(False)
                continue
            writer.write(chunks[at])
            entry[1] = at + 1
            if at + 1 == len(chunks):
                ended.set_result(True)
            else:
                still.append(entry)
        self._streams = still
        if not still:
            self._next_tick = None
            return
        loop = asyncio.get_running_loop()
        self._next_tick = max(self._next_tick + self.gap, loop.time())
        loop.call_at(self._next_tick, self._tick)


def _chunk_bytes(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


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


def run(main):
    """Run the coroutine `main` on uvloop when it is installed (it comes with uvicorn[standard]): a cheaper harness.

    The garbage collector is tuned as Agora's workers tune it (agora.app): with 1,000 streams
    open, the default thresholds pause the whole process for tens of milliseconds at a time,
    which the bench would count as late tokens.
    """
    gc.freeze()
    gc.set_threshold(20_000, *gc.get_threshold()[1:])
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


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

    run(serve())

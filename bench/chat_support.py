"""What bench/chat.py stands on: a lean streaming client, a gated stand-in upstream, an Agora to measure.

The client is raw asyncio HTTP/1.1 on purpose: at 1,000 streams of 50 tokens per second
each, a client that parses every line (httpx, aiohttp) spends more CPU than the server it
measures, and its own lag would be counted as the server's. This one timestamps each
socket read and counts the tokens of the events it completes; the body is parsed after the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AGORA = str(Path(sys.executable).parent / "agora")
sys.path.insert(0, str(ROOT))  # tests.providers.standin: the stand-in the chat tests use

from tests.providers.standin import StandIn, free_port, run  # noqa: E402

WARM_UP = "warm-up"  # user messages starting so pass the stand-in's gate


# ---- the client ----

@dataclass
class Stream:
    sent: float = 0.0
    ended: float = 0.0  # the server closed the connection: after the `done` event, for Agora
    until_at: float = 0.0  # the read that brought the `until` marker (Agora's `done` event)
    status: int = 0
    reads: list[tuple[float, int]] = field(default_factory=list)  # (when, tokens it completed), reads that completed any
    body: bytes = b""
    error: str = ""

    @property
    def token_times(self) -> list[float]:
        return [when for when, count in self.reads for _ in range(count)]

    def sse(self) -> list[tuple[str, dict]]:
        """The body's Server-Sent Events as (event name, JSON data)."""
        events, name = [], "message"
        for line in self.body.decode("utf-8", "replace").split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and line[6:].strip() != "[DONE]":
                events.append((name, json.loads(line[6:])))
        return events


@dataclass(frozen=True)
class Tokens:
    """How the client counts tokens as bytes arrive: occurrences of `marker`, up to `until` (when given).

    Counted on the raw bytes of each read, with the few bytes before it, so a marker cut
    across two reads counts once, in the read that completes it. Nothing is parsed while
    streaming: the body is parsed after the end.
    """

    marker: bytes
    until: bytes = b""


class _Reader(asyncio.Protocol):
    """One request's connection: writes the request, stamps each read and the tokens it completes."""

    def __init__(self, request: bytes, result: Stream, tokens: Tokens, ended: asyncio.Future, on_first_read) -> None:
        self.request, self.result, self.ended, self.on_first_read = request, result, ended, on_first_read
        self.marker, self.until = tokens.marker, tokens.until
        self.keep = max(len(self.marker), len(self.until)) - 1
        self.tail, self.chunks, self.counting = b"", [], True

    def connection_made(self, transport) -> None:
        self.result.sent = time.monotonic()
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.chunks.append(data)
        if self.on_first_read is not None:
            self.on_first_read()
            self.on_first_read = None
        if not self.counting:
            return
        seen = self.tail + data
        if self.until and (cut := seen.find(self.until)) >= 0:
            seen, self.counting, self.result.until_at = seen[:cut], False, now
        count = seen.count(self.marker) - self.tail.count(self.marker)  # markers do not overlap themselves
        if count > 0:
            self.result.reads.append((now, count))
        self.tail = data[-self.keep:] if self.keep else b""

    def connection_lost(self, exc) -> None:
        self.result.ended = time.monotonic()
        if not self.ended.done():
            self.ended.set_result(exc)


async def stream_post(port: int, path: str, body: dict, headers: dict[str, str], tokens: Tokens,
                      opening: asyncio.Semaphore | None = None) -> Stream:
    """POST and read the streamed answer to its end, stamping tokens on arrival (see `Tokens`).

    With `opening`, the request first takes a slot in it and gives it back when its response starts.
    """
    result = Stream()
    payload = json.dumps(body).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json",
                                                   "Content-Length": str(len(payload)), "Connection": "close", **headers}.items())
    request = f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + payload
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    holding = opening is not None
    if holding:
        await opening.acquire()

    def first_read() -> None:
        nonlocal holding
        if holding:
            opening.release()
            holding = False

    try:
        transport, protocol = await loop.create_connection(lambda: _Reader(request, result, tokens, ended, first_read), "127.0.0.1", port)
        failure = await ended
        transport.close()
        if failure is not None:
            raise failure
    except OSError as error:
        result.error = f"{type(error).__name__}: {error}"
        return result
    finally:
        first_read()
    head_bytes, _sep, rest = b"".join(protocol.chunks).partition(b"\r\n\r\n")
    status_line = head_bytes.split(b"\r\n", 1)[0].split()
    result.status = int(status_line[1]) if len(status_line) > 1 else 0
    result.body = _dechunk(rest) if b"transfer-encoding: chunked" in head_bytes.lower() else rest
    return result


class Naps:
    """Keeps the client's event loop out of the kernel's poll: it sleeps `seconds`, reads all that came, sleeps again.

    On loopback, waking a process blocked waiting for data is work the kernel does inside the
    *writer's* system call (in a virtual machine, an interrupt to the other core). A client
    woken by every token would charge the server it measures with one wake-up per token,
    which a client on another machine never costs it. Napping instead, the client is never
    blocked on its sockets when data arrives; reads are stamped up to `seconds` late, the
    same for the floor and for Agora.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._running = False

    def start(self) -> None:
        if self.seconds > 0:
            self._running = True
            asyncio.get_running_loop().call_soon(self._nap)

    def _nap(self) -> None:
        if self._running:
            time.sleep(self.seconds)
            asyncio.get_running_loop().call_soon(self._nap)

    def stop(self) -> None:
        self._running = False


def _dechunk(data: bytes) -> bytes:
    out, at = bytearray(), 0
    while at < len(data):
        line_end = data.index(b"\r\n", at)
        size = int(data[at:line_end].split(b";")[0], 16)
        if size == 0:
            break
        out += data[line_end + 2:line_end + 2 + size]
        at = line_end + 2 + size + 2
    return bytes(out)


class Sampler:
    """Every 50 ms: the Agora worker's resident memory and CPU time, the stand-in's and this client's CPU time,
    and the whole machine's busy CPU time, to read them at the moment every stream is open
    and over the time the tokens flowed (who had the cores: on a shared machine, not only us)."""

    def __init__(self, worker: int | None, upstream: int) -> None:
        self.worker, self.upstream = worker, upstream
        self.samples: list[dict[str, float]] = []
        self._task: asyncio.Task | None = None

    @staticmethod
    def rss(pid: int) -> int:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))

    @staticmethod
    def cpu(pid: int) -> float:
        """User and system seconds the process has run."""
        return sum(Sampler.cpu_split(pid))

    @staticmethod
    def cpu_split(pid: int) -> tuple[float, float]:
        """User seconds and system seconds (in the kernel: system calls, the network stack) the process has run."""
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def machine_busy() -> float:
        """Seconds all cores together spent not idle (nor waiting on I/O)."""
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, float]:
        found = {"t": time.monotonic(), "machine_busy": self.machine_busy()}
        for name, pid in (("upstream", self.upstream), ("client", os.getpid())) + ((("worker", self.worker),) if self.worker else ()):
            user, system = self.cpu_split(pid)
            found |= {f"{name}_cpu": user + system, f"{name}_sys": system}
        if self.worker:
            found["rss"] = self.rss(self.worker)
        return found

    def start(self) -> None:
        async def sample() -> None:
            while True:
                self.samples.append(self.sample())
                await asyncio.sleep(0.05)

        self._task = asyncio.create_task(sample())

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self.samples.append(self.sample())

    def at(self, moment: float, what: str) -> float:
        """`what` in the first sample taken at or after `moment`."""
        return next((s[what] for s in self.samples if s["t"] >= moment), self.samples[-1][what])

    def between(self, start: float, end: float, what: str) -> float:
        return self.at(end, what) - self.at(start, what)


# ---- the upstream ----

class GatedStandIn(StandIn):
    """Holds each request (before its headers) until `gate` are waiting, then streams them all at once.

    Opening 1,000 conversations takes Agora longer than one 1-second reply lasts, so without
    the gate the streams would never all be open together. The release moment is printed
    (`released <monotonic time> <count>`; CLOCK_MONOTONIC is one clock for every process) so the
    bench measures time to first token from it. Warm-up requests pass straight through.
    """

    def __init__(self, *, gate: int, gate_timeout: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gate, self.gate_timeout = gate, gate_timeout
        self._opened: asyncio.Event | None = None
        self._waiting = 0

    async def _answer(self, mode: str, body: dict, reader, writer) -> None:
        if not str(body["messages"][-1].get("content", "")).startswith(WARM_UP):
            await self._pass_gate()
        await super()._answer(mode, body, reader, writer)

    async def _pass_gate(self) -> None:
        if self._opened is None:
            self._opened = asyncio.Event()
            opened = self._opened
            # Never hang the bench when a request fails before reaching us: open anyway, and say how many came.
            asyncio.get_running_loop().call_later(self.gate_timeout, lambda: self._release(opened))
        opened = self._opened
        self._waiting += 1
        if self._waiting >= self.gate:
            self._release(opened)
        await opened.wait()

    def _release(self, opened: asyncio.Event) -> None:
        if opened.is_set():
            return
        print(f"released {time.monotonic()} {self._waiting}", flush=True)
        self._opened, self._waiting = None, 0
        opened.set()


def run_upstream(port: int, *, tokens: int, gap_ms: float, gate: int, gate_timeout: float) -> None:
    standin = GatedStandIn(reply=" ".join(["token"] * tokens), gap=gap_ms / 1000, gate=gate, gate_timeout=gate_timeout)

    async def serve() -> None:
        server = await asyncio.start_server(standin._handle, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        await server.serve_forever()

    run(serve())


# ---- Agora ----

def prepare_database(url: str, *, users: int, content) -> tuple[list[str], str]:
    """Users on the Enterprise plan (no message quota) with an API key each, and one published public GPT."""
    from sqlalchemy import text

    from agora import migrate
    from agora.accounts import api_keys
    from agora.accounts import service as accounts
    from agora.billing.cli import apply_plan
    from agora.db import Database
    from agora.gpts import service as gpts

    database = Database(url)
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(database)
    keys = []
    with database.session() as session:
        for n in range(users):
            user = accounts.create_user(session, email=f"bench{n}@example.com", display_name=f"Bench {n}", password=None)
            apply_plan(session, user, "enterprise", seats=None)
            keys.append(api_keys.create(session, user=user, name="bench")[1])
        owner = accounts.user_by_email(session, "bench0@example.com")
        gpt = gpts.create_gpt(session, owner=owner, content=content, visibility="public")
        gpts.publish(session, gpt, author=owner)
        gpt_id = gpt.id
    database.dispose()
    return keys, gpt_id


def start_agora(home: Path, database_url: str, log, **settings: str) -> tuple[subprocess.Popen, int]:
    """`agora serve`, one worker, as its own process; answers once /readyz does."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(home), AGORA_DATABASE_URL=database_url, AGORA_LOG_LEVEL="warning")
    env.update({f"AGORA_{name.upper()}": value for name, value in settings.items()})
    # The worker's garbage collections, timed (bench/gc_log/sitecustomize.py; see GcLog).
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "bench" / "gc_log"), env.get("PYTHONPATH")])), BENCH_GC_LOG=str(home / "gc.json"))
    process = subprocess.Popen([AGORA, "serve", "--workers", "1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"agora serve exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return process, port
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("agora serve did not become ready")


def gc_pauses(home: Path, start: float, end: float) -> dict:
    """The worker's garbage collections between `start` and `end` (monotonic): how many of each generation, the longest."""
    path = home / "gc.json"
    if not path.exists():
        return {}
    pauses = [(g, ms) for at, g, ms in json.loads(path.read_text()) if start <= at <= end]
    found = {}
    for generation in (0, 1, 2):
        times = [ms for g, ms in pauses if g == generation]
        found[f"gc{generation}_count"] = len(times)
        found[f"gc{generation}_max_ms"] = max(times, default=0.0)
        found[f"gc{generation}_total_ms"] = sum(times)
    return found


def start_conversations(port: int, keys: list[str], gpt_id: str, count: int) -> list[tuple[str, str]]:
    """(conversation id, its owner's key), spread round-robin over the users."""
    made = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for n in range(count):
            key = keys[n % len(keys)]
            response = client.post("/api/conversations", json={"gpt_id": gpt_id}, headers={"Authorization": f"Bearer {key}"})
            response.raise_for_status()
            made.append((response.json()["id"], key))
    return made


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

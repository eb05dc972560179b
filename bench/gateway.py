"""Gateway overhead: Agora's /v1 against LiteLLM's proxy, in front of the same upstream.

    python bench/gateway.py --litellm /tmp/litellm-venv/bin/litellm

Starts, each in its own process: a stand-in OpenAI-compatible upstream (below; it answers
`stream: false` with one JSON body and `stream: true` with 20 SSE chunks, over keep-alive
connections), Agora (`agora serve`, one worker, SQLite, a base model passed through, an API
key) and LiteLLM's proxy (one worker, master key, offline cost map). Then, for each of the
JSON and the streaming reply:
  - latency: sequential requests (one connection, keep-alive) straight to the upstream and
    through each gateway; added latency = the gateway's percentile minus the upstream's;
  - throughput: closed-loop clients at rising concurrency for a few seconds each; the best
    requests/s with under 1 % errors.
A reply counts only when complete (the stream read to `[DONE]`). The load generator runs
on the same machine, so every figure includes its share of the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
AGORA = str(Path(sys.executable).parent / "agora")
MODEL = "bench-model"
CHUNKS = 20
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 64}
# Plus without limits of its own (the settings' apply), no message quota (the GPT latency run
# sends hundreds), and a GPT of the bench user's, published: its id is printed.
PLUS_WITHOUT_OWN_LIMITS = """
from agora.accounts import service as accounts
from agora.billing import plans
from agora.config import get_settings
from agora.db import Database
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
with Database(get_settings().resolved_database_url()).session() as session:
    plans.edit_plan(session, plans.PLUS, entitlements_patch={"api_requests_per_minute": 0, "api_tokens_per_minute": 0,
                                                             "messages_per_window": None})
    owner = accounts.user_by_email(session, "bench@example.com")
    content = GptContent(name="Bench Helper", description="Answers the benchmark", instructions="Be brief.", welcome_message="Hi.",
                         starters=["Say hello."])
    gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=content,
                          visibility="public")
    gpts.publish(session, gpt, author=owner)
    print(gpt.id)
"""


# ---- the upstream: raw asyncio, keep-alive, in its own process ----

def _chunk(delta: dict, finish: str | None) -> bytes:
    data = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 0, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(data).encode() + b"\n\n"


STREAM = b"".join([_chunk({"role": "assistant", "content": ""}, None)] + [_chunk({"content": f" w{i}"}, None) for i in range(CHUNKS)]
                  + [_chunk({}, "stop"),
                     b'data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":0,"model":"bench-model","choices":[],'
                     b'"usage":{"prompt_tokens":5,"completion_tokens":20,"total_tokens":25}}\n\n', b"data: [DONE]\n\n"])
JSON_REPLY = json.dumps({
    "id": "chatcmpl-up", "object": "chat.completion", "created": 0, "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}).encode()


async def _serve_upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), 0)
            body = json.loads(await reader.readexactly(length) or b"{}")
            if body.get("stream"):
                # One write per chunk, like a server producing tokens, with chunked framing.
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                for event in STREAM.split(b"\n\n")[:-1]:
                    event += b"\n\n"
                    writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(JSON_REPLY) + JSON_REPLY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def run_upstream(port: int) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_serve_upstream, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        await server.serve_forever()

    asyncio.run(main())


# ---- the products under test ----

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, headers: dict | None = None, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not become ready")


def start_agora(upstream: str, home: Path, log) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(home), AGORA_CHAT_PROVIDER="openai", AGORA_OPENAI_BASE_URL=upstream, AGORA_OPENAI_MODELS=MODEL,
               AGORA_OPENAI_MAX_RETRIES="0", AGORA_API_REQUESTS_PER_MINUTE="1000000000", AGORA_API_TOKENS_PER_MINUTE="1000000000",
               AGORA_LOG_LEVEL="warning", AGORA_TRIAL_DAYS="14")
    subprocess.run([AGORA, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([AGORA, "create-user", "--email", "bench@example.com", "--password", "bench password 123", "--name", "Bench"],
                   env=env, check=True, capture_output=True)
    # Keys get their plan's rate limits (the trial's Plus here); at 0 the plan leaves them to the settings above.
    gpt = subprocess.run([sys.executable, "-c", PLUS_WITHOUT_OWN_LIMITS], env=env, check=True, capture_output=True, text=True).stdout.strip()
    key = subprocess.run([AGORA, "api-key", "create", "--email", "bench@example.com", "--name", "bench"],
                         env=env, check=True, capture_output=True, text=True).stdout.strip()
    process = subprocess.Popen([AGORA, "serve", "--workers", "1", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    wait_ready(f"{url}/models", process, {"Authorization": f"Bearer {key}"})
    return process, url, key, gpt


def start_litellm(litellm: str, upstream: str, home: Path, log) -> tuple[subprocess.Popen, str, str]:
    port, key = free_port(), "sk-bench-master-key"
    config = home / "litellm.yaml"
    config.write_text(
        f"model_list:\n  - model_name: {MODEL}\n    litellm_params:\n      model: openai/{MODEL}\n"
        f"      api_base: {upstream}\n      api_key: unused\n"
        f"general_settings:\n  master_key: {key}\n"
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"}
    process = subprocess.Popen([litellm, "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{port}/v1"
    wait_ready(f"{url}/models", process, {"Authorization": f"Bearer {key}"})
    return process, url, key


# ---- measuring ----

def complete(response: httpx.Response, stream: bool) -> bool:
    if response.status_code != 200:
        return False
    if not stream:
        return bool(response.json()["choices"][0]["message"]["content"])
    return response.text.rstrip().endswith("data: [DONE]")


def latencies(url: str, key: str, stream: bool, count: int, model: str = MODEL) -> list[float]:
    body = {**BODY, "model": model, "stream": stream}
    taken = []
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for i in range(count + count // 10):
            start = time.perf_counter()
            response = client.post(f"{url}/chat/completions", json=body)
            ok = complete(response, stream)
            elapsed = (time.perf_counter() - start) * 1000
            if not ok:
                raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
            if i >= count // 10:  # the first tenth warms connections and caches
                taken.append(elapsed)
    return taken


async def _load(url: str, key: str, stream: bool, concurrency: int, seconds: float) -> tuple[int, int]:
    body = {**BODY, "stream": stream}
    done = errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30, limits=limits) as client:
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < end:
                try:
                    response = await client.post(f"{url}/chat/completions", json=body)
                    ok = complete(response, stream)
                except httpx.HTTPError:
                    ok = False
                done += ok
                errors += not ok

        await asyncio.gather(*[worker() for _ in range(concurrency)])
    return done, errors


def throughput(url: str, key: str, stream: bool, levels: list[int], seconds: float) -> tuple[float, int, list[str]]:
    best, best_level, notes = 0.0, 0, []
    for concurrency in levels:
        done, errors = asyncio.run(_load(url, key, stream, concurrency, seconds))
        rate, error_share = done / seconds, errors / max(done + errors, 1)
        notes.append(f"c={concurrency}: {rate:.0f}/s, {error_share:.1%} errors")
        if error_share < 0.01 and rate > best:
            best, best_level = rate, concurrency
    return best, best_level, notes


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--litellm", required=True, help="the `litellm` executable of a separate venv with litellm[proxy]")
    parser.add_argument("--requests", type=int, default=1000, help="sequential requests per latency run")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each throughput level")
    parser.add_argument("--levels", default="1,4,16,64", help="client concurrency levels for throughput")
    parser.add_argument("--upstream-port", type=int, help=argparse.SUPPRESS)  # internal: run only the upstream
    args = parser.parse_args()
    if args.upstream_port:
        run_upstream(args.upstream_port)
        return
    levels = [int(n) for n in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        home, port = Path(tmp), free_port()
        log = (home / "servers.log").open("w")
        processes = [subprocess.Popen([sys.executable, __file__, "--litellm", args.litellm, "--upstream-port", str(port)], stdout=subprocess.PIPE)]
        try:
            processes[0].stdout.readline()
            upstream = f"http://127.0.0.1:{port}/v1"
            agora, agora_url, agora_key, agora_gpt = start_agora(upstream, home / "agora", log)
            processes.append(agora)
            litellm, litellm_url, litellm_key = start_litellm(args.litellm, upstream, home, log)
            processes.append(litellm)
            targets = {"upstream": (upstream, "unused"), "agora": (agora_url, agora_key), "litellm": (litellm_url, litellm_key)}
            for stream in (False, True):
                kind = f"streaming, {CHUNKS} chunks" if stream else "JSON reply"
                print(f"\n## {kind}")
                base: dict[str, float] = {}
                for name, (url, key) in targets.items():
                    taken = latencies(url, key, stream, args.requests)
                    p50, p99 = statistics.median(taken), percentile(taken, 99)
                    if name == "upstream":
                        base = {"p50": p50, "p99": p99}
                        print(f"{name:9s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
                    else:
                        print(f"{name:9s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   added p50 {p50 - base['p50']:6.2f} ms   added p99 {p99 - base['p99']:6.2f} ms")
                # A GPT (model="g-..."): its prompt composed and its quota counted on every call; Agora only.
                taken = latencies(agora_url, agora_key, stream, args.requests // 2, model=agora_gpt)
                p50, p99 = statistics.median(taken), percentile(taken, 99)
                print(f"{'agora GPT':9s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   added p50 {p50 - base['p50']:6.2f} ms   added p99 {p99 - base['p99']:6.2f} ms"
                      f"   ({args.requests // 2} requests)")
                for name, (url, key) in targets.items():
                    if name == "upstream":
                        continue
                    best, level, notes = throughput(url, key, stream, levels, args.seconds)
                    print(f"{name:9s} best {best:7.0f} req/s (concurrency {level}, < 1 % errors)   [{'; '.join(notes)}]")
        finally:
            for process in reversed(processes):
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    main()

"""The `openai` provider alone: its CPU per streamed token, per stream opened and per whole reply.

    .venv/bin/python bench/provider.py          # --streams 500 --tokens 100 --gap-ms 20 --opens 1000 --calls 1000 --runs 3

What chat, the preview and /v1 pay to talk to a model server, without Agora's HTTP around
it: the stand-in upstream (tests/providers/standin.py) runs in its own process; this one
runs `OpenAIProvider` on uvloop with the garbage collector tuned as Agora's workers tune it.
  - read: --streams concurrent `stream()` calls of --tokens tokens, --gap-ms apart; the
    process's CPU (user + system) per token read, from the moment every stream has read its
    first token to the last Finished event;
  - open: --opens streams of one token each, 50 at a time: CPU per stream (sending the
    request, reading the answer's head, the watchdog, closing);
  - whole: --calls sequential `complete()` calls: CPU per call and the wall-clock p50.
Each part runs --runs times; the median is reported. To compare two versions of the
provider, run this with PYTHONPATH=<the other checkout>/src, then without, in turn.
Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.providers.standin: the stand-in the provider's tests use

from agora.providers.base import CompletionRequest, Finished, TextDelta  # noqa: E402
from agora.providers.openai_compat import OpenAIProvider  # noqa: E402
from tests.providers.standin import free_port, run  # noqa: E402

MESSAGES = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Say hello."}]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Flow:
    """Counts tokens, and notes the CPU and tokens so far once every stream has read its first token."""

    def __init__(self, streams: int) -> None:
        self.waiting, self.tokens = streams, 0
        self.flowing: tuple[float, int] | None = None

    def first_token(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.flowing = (cpu_seconds(), self.tokens)


async def read_stream(provider: OpenAIProvider, request: CompletionRequest, flow: Flow) -> None:
    started = False
    async for event in provider.stream(request):
        if isinstance(event, TextDelta):
            flow.tokens += event.text.count("token")  # a read that found several chunks joins their text
            if not started:
                started = True
                flow.first_token()
        elif isinstance(event, Finished):
            return
    raise RuntimeError("a stream ended without its Finished event")


async def streams(provider: OpenAIProvider, *, count: int, max_tokens: int, at_once: int) -> tuple[float, float, int]:
    """For `count` streams, `at_once` of them open together: CPU seconds in all, and from the moment
    all were flowing to the end with the tokens read in that time (when all were open together)."""
    request = CompletionRequest(messages=MESSAGES, model="bench", max_tokens=max_tokens)
    gate = asyncio.Semaphore(at_once)
    flow = Flow(count)

    async def one() -> None:
        async with gate:
            await read_stream(provider, request, flow)

    started = cpu_seconds()
    await asyncio.gather(*(one() for _ in range(count)))
    ended = cpu_seconds()
    if flow.tokens != count * max_tokens:
        raise RuntimeError(f"{flow.tokens} tokens read, {count * max_tokens} sent")
    flowing_cpu, tokens_before = flow.flowing or (ended, flow.tokens)
    return ended - started, ended - flowing_cpu, flow.tokens - tokens_before


async def whole(provider: OpenAIProvider, *, calls: int) -> tuple[float, list[float]]:
    request = CompletionRequest(messages=MESSAGES, model="bench", max_tokens=64)
    latencies = []
    started = cpu_seconds()
    for _ in range(calls):
        sent = time.perf_counter()
        await provider.complete(request)
        latencies.append(time.perf_counter() - sent)
    return cpu_seconds() - started, latencies


async def measure(args, base_url: str) -> dict:
    provider = OpenAIProvider(base_url=base_url, api_key="bench", models=["bench"], context_tokens=8192, timeout=30, max_retries=0)
    try:
        await streams(provider, count=50, max_tokens=args.tokens, at_once=50)  # warm-up: connections, imports, caches
        await whole(provider, calls=50)
        results: dict[str, list[float]] = {"read_us_per_token": [], "open_us_per_stream": [], "whole_us_per_call": [], "whole_p50_ms": []}
        for _ in range(args.runs):
            _all, cpu, tokens = await streams(provider, count=args.streams, max_tokens=args.tokens, at_once=args.streams)
            results["read_us_per_token"].append(cpu / tokens * 1e6)
            cpu, _flowing, _tokens = await streams(provider, count=args.opens, max_tokens=1, at_once=50)
            results["open_us_per_stream"].append(cpu / args.opens * 1e6)
            cpu, latencies = await whole(provider, calls=args.calls)
            results["whole_us_per_call"].append(cpu / args.calls * 1e6)
            results["whole_p50_ms"].append(statistics.median(latencies) * 1000)
        return {name: round(statistics.median(values), 1) for name, values in results.items()} | {"runs": results}
    finally:
        await provider.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=500, help="streams open together")
    parser.add_argument("--tokens", type=int, default=100, help="tokens per stream")
    parser.add_argument("--gap-ms", type=float, default=20, help="the stand-in's gap between tokens")
    parser.add_argument("--opens", type=int, default=1000, help="one-token streams for the cost of opening one")
    parser.add_argument("--calls", type=int, default=1000, help="sequential whole replies")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    upstream = subprocess.Popen([sys.executable, str(ROOT / "tests" / "providers" / "standin.py"), "--port", str(port),
                                 "--tokens", str(args.tokens), "--gap-ms", str(args.gap_ms)], stdout=subprocess.PIPE, text=True)
    try:
        if upstream.stdout.readline().strip() != "ready":
            raise RuntimeError("the stand-in did not start")
        import agora.providers.openai_compat as measured

        report = run(measure(args, f"http://127.0.0.1:{port}/v1"))
        print(json.dumps({"provider": measured.__file__, **report}, indent=1))
    finally:
        upstream.terminate()
        upstream.wait()


if __name__ == "__main__":
    main()

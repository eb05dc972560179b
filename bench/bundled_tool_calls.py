"""Can the bundled model (SmolLM2-135M-Instruct, Q4_1) call tools? 20 prompts, each needing one of the built-in tools,
tried two ways with llama.cpp, counting how often it calls the right tool with valid arguments (docs/actions.md).

    .venv/bin/python bench/bundled_tool_calls.py [--threads 2] [--json results.json] [--mode grammar|chatml-function-calling]
        [--max-tokens 160] [--time-limit 300]

chatml-function-calling: llama-cpp-python's own function-calling chat format for ChatML models (SmolLM2 uses ChatML):
  the tools are described in the system prompt and its grammar constrains the call it writes; tool_choice "auto", so
  the model may also answer in text (counted as no call).
grammar: the tools listed in the system prompt, and the reply forced by a GBNF grammar made from a JSON Schema
  (LlamaGrammar.from_json_schema) to be {"name": <one of the tools>, "arguments": {...}}: a call is always made, the
  question is whether it is the right one with arguments its parameters accept.

Greedy decoding (temperature 0), so a rerun gives the same figures. "Valid arguments" means every required parameter
is there with its JSON type (and within its enum and bounds), and nothing else is; "right" means the tool the prompt
needs. Each prompt is bounded: every completion is capped at --max-tokens (the chat handler's own calls included, which
ask for no cap), chatml-function-calling's loop of further calls is ended after the first call (the only one counted),
and a prompt still running after --time-limit seconds is stopped and counted as a failure (no call), so a slow or
loaded machine can only lower the figures, and says so in the "timed_out" count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
from typing import Any

from agora.config import Settings
from agora.providers.local import bundled_model_path
from agora.tools import registry
from agora.tools.calculator import Calculator
from agora.tools.maps import FindPlace, PlaceAt, Route
from agora.tools.reader import ReadPage
from agora.tools.web_search import WebSearch

SETTINGS = Settings(_env_file=None, web_search_backend="searxng", web_search_url="http://search.invalid",
                    maps_geocoder_url="http://geo.invalid", maps_router_url="http://osrm.invalid")
TOOLS = [Calculator(), WebSearch(SETTINGS), ReadPage(SETTINGS), FindPlace(SETTINGS), PlaceAt(SETTINGS), Route(SETTINGS)]
DEFINITIONS = [registry.definition(tool) for tool in TOOLS]
PARAMETERS = {tool.name: tool.parameters for tool in TOOLS}

PROMPTS: list[tuple[str, str]] = [
    ("What is 17 times 23?", "calculator"),
    ("Calculate (1250 - 380) / 6 exactly.", "calculator"),
    ("How much is 2 to the power of 20?", "calculator"),
    ("What is 15% of 840?", "calculator"),
    ("Search the web for the latest news about the James Webb telescope.", "web_search"),
    ("Who won the 2024 Tour de France? Look it up.", "web_search"),
    ("Find recent articles on walrus populations in the Arctic.", "web_search"),
    ("Look up the current price of an Airbus A320.", "web_search"),
    ("Read this page and summarise it: https://en.wikipedia.org/wiki/Walrus", "read_page"),
    ("What does https://www.python.org/downloads/ say about the newest release?", "read_page"),
    ("Open https://example.org/ and tell me its title.", "read_page"),
    ("Where is the Eiffel Tower? Give me its coordinates.", "find_place"),
    ("Find the address of the British Museum in London.", "find_place"),
    ("Show me Mont Saint-Michel on a map.", "find_place"),
    ("What is at latitude 48.8584, longitude 2.2945?", "place_at"),
    ("Which town is at coordinates 45.8326, 6.8652?", "place_at"),
    ("How long does it take to drive from Lyon to Grenoble?", "route"),
    ("Plan a walking route from the Louvre to Notre-Dame de Paris.", "route"),
    ("How far is it by bike from Amsterdam Centraal to Haarlem?", "route"),
    ("Give me driving directions from Berlin to Potsdam.", "route"),
]
SYSTEM = "You are a helpful assistant. Use exactly one of the tools to answer the user."


def valid(name: str, arguments: Any) -> bool:
    """The arguments match the tool's parameters: required ones present with their type, enums and bounds kept, no others."""
    schema = PARAMETERS.get(name)
    if schema is None or not isinstance(arguments, dict):
        return False
    properties = schema.get("properties", {})
    if any(key not in arguments for key in schema.get("required", ())) or any(key not in properties for key in arguments):
        return False
    for key, value in arguments.items():
        spec = properties[key]
        if spec.get("type") == "string" and not (isinstance(value, str) and value.strip()):
            return False
        if spec.get("type") == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return False
        if "enum" in spec and value not in spec["enum"]:
            return False
        if "minimum" in spec and value < spec["minimum"] or "maximum" in spec and value > spec["maximum"]:
            return False
    return True


def call_schema() -> dict[str, Any]:
    return {"anyOf": [{"type": "object", "properties": {"name": {"const": tool.name}, "arguments": tool.parameters},
                       "required": ["name", "arguments"]} for tool in TOOLS]}


class _Worker:
    """One child process holding the model and answering prompts, so that a prompt past its time limit can be stopped.

    llama.cpp cannot be interrupted mid-generation from Python, and llama-cpp-python's chatml-function-calling handler
    calls create_completion with max_tokens=None (up to the whole context) whatever the caller asked, looping for as
    long as the model names another tool: on 2026-12-07 one prompt ran past 20 minutes. Killing the process is the only
    bound that always holds; the model (80 MB) loads again in about a second.
    """

    def __init__(self, mode: str, model_path: str, threads: int, max_tokens: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.prompts, self.answers = context.Queue(), context.Queue()
        self.process = context.Process(target=_serve, args=(mode, model_path, threads, max_tokens, self.prompts, self.answers), daemon=True)
        self.process.start()

    def ask(self, prompt: str, limit: float) -> dict[str, Any] | None:
        """The outcome of one prompt, or None when it ran past `limit` seconds (the worker is then stopped)."""
        self.prompts.put(prompt)
        try:
            return self.answers.get(timeout=limit)
        except queue.Empty:
            self.stop()
            return None

    def stop(self) -> None:
        self.process.kill()
        self.process.join()


def _serve(mode: str, model_path: str, threads: int, max_tokens: int, prompts: Any, answers: Any) -> None:
    answer = _function_calling(model_path, threads, max_tokens) if mode == "chatml-function-calling" else _grammar(model_path, threads, max_tokens)
    while True:
        prompt = prompts.get()
        try:
            answers.put(answer(prompt))
        except Exception as exc:  # e.g. the handler's tool loop running out of context: a failure of this prompt, not of the run
            answers.put({"called": None, "arguments": None, "text": f"(failed: {type(exc).__name__}: {exc})"})


def _bounded_llama(max_tokens: int, *, completions_per_prompt: int | None = None) -> Any:
    from llama_cpp import Llama

    class Bounded(Llama):
        """Every completion capped at max_tokens, including the ones chat handlers start with max_tokens=None; with
        `completions_per_prompt`, the completions past it in one chat completion end at once with no text.

        chatml-function-calling makes one completion to choose between a tool and a message, one for the call's
        arguments, then one more per further call it lets the model add, for as long as the model names a tool. Only the
        first call is counted here, so its third completion (would there be a second call?) is answered with nothing,
        which ends the handler's loop; nothing it returns for the first call changes.
        """

        made = 0

        def create_chat_completion(self, *args: Any, **kwargs: Any) -> Any:
            self.made = 0
            return super().create_chat_completion(*args, **kwargs)

        def create_completion(self, *args: Any, **kwargs: Any) -> Any:
            asked = kwargs.get("max_tokens")
            kwargs["max_tokens"] = max_tokens if asked is None or asked <= 0 else min(asked, max_tokens)
            self.made += 1
            if completions_per_prompt is not None and self.made > completions_per_prompt and not kwargs.get("stream"):
                return {"id": "cmpl-bench-cut", "object": "text_completion", "created": int(time.time()), "model": self.model_path,
                        "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}
            return super().create_completion(*args, **kwargs)

    return Bounded


def _function_calling(model_path: str, threads: int, max_tokens: int) -> Any:
    llama = _bounded_llama(max_tokens, completions_per_prompt=2)(model_path=model_path, n_ctx=4096, n_threads=threads,
                                                                 n_threads_batch=threads, verbose=False, chat_format="chatml-function-calling")

    def answer(prompt: str) -> dict[str, Any]:
        reply = llama.create_chat_completion(messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                                             tools=DEFINITIONS, tool_choice="auto", temperature=0, max_tokens=max_tokens)
        message = reply["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        if not calls:
            return {"called": None, "arguments": None, "text": message.get("content") or ""}
        try:
            arguments = json.loads(calls[0]["function"]["arguments"])
        except ValueError:
            arguments = calls[0]["function"]["arguments"]  # cut at max_tokens before the object closed
        return {"called": calls[0]["function"]["name"], "arguments": arguments, "text": message.get("content") or ""}

    return answer


def _grammar(model_path: str, threads: int, max_tokens: int) -> Any:
    from llama_cpp import LlamaGrammar

    llama = _bounded_llama(max_tokens)(model_path=model_path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    grammar = LlamaGrammar.from_json_schema(json.dumps(call_schema()), verbose=False)
    listing = "\n".join(json.dumps(d["function"]) for d in DEFINITIONS)
    system = f"{SYSTEM}\nThe tools:\n{listing}\nAnswer only with a JSON object: {{\"name\": <the tool>, \"arguments\": {{...}}}}."

    def answer(prompt: str) -> dict[str, Any]:
        reply = llama.create_chat_completion(messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                             grammar=grammar, temperature=0, max_tokens=max_tokens)
        text = reply["choices"][0]["message"].get("content") or ""
        try:
            call = json.loads(text)
        except ValueError:
            call = {}  # cut at max_tokens before the object closed
        return {"called": call.get("name"), "arguments": call.get("arguments"), "text": text}

    return answer


def run(mode: str, model_path: str, threads: int, max_tokens: int, limit: float) -> list[dict[str, Any]]:
    """Every prompt, each bounded by max_tokens per completion and `limit` seconds in all; a prompt past it counts as a failure."""
    rows: list[dict[str, Any]] = []
    worker = _Worker(mode, model_path, threads, max_tokens)
    try:
        for prompt, expected in PROMPTS:
            started = time.monotonic()
            outcome = worker.ask(prompt, limit)
            if outcome is None:
                outcome = {"called": None, "arguments": None, "text": f"(stopped after {limit:g} s)", "timed_out": True}
                worker = _Worker(mode, model_path, threads, max_tokens)
            name = outcome["called"]
            rows.append({"prompt": prompt, "expected": expected, "called": name, "arguments": outcome["arguments"],
                         "text": outcome["text"][:200], "timed_out": outcome.get("timed_out", False), "right": name == expected,
                         "valid": name is not None and valid(name, outcome["arguments"]), "seconds": round(time.monotonic() - started, 2)})
            progress(rows[-1])
    finally:
        worker.stop()
    return rows


def progress(row: dict[str, Any]) -> None:
    mark = "time" if row["timed_out"] else "ok  " if row["right"] and row["valid"] else ("tool" if row["right"] else "no  ")
    print(f"  {mark} want {row['expected']:<11} got {row['called']!s:<11} {json.dumps(row['arguments'])[:90]} ({row['seconds']} s)"
          f"\n       wrote: {row['text'][:160]!r}", flush=True)


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"prompts": len(rows), "timed_out": sum(r["timed_out"] for r in rows), "called": sum(r["called"] is not None for r in rows), "right_tool": sum(r["right"] for r in rows),
            "valid_arguments": sum(r["valid"] for r in rows), "right_and_valid": sum(r["right"] and r["valid"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write every prompt's outcome to this file")
    parser.add_argument("--mode", choices=("both", "grammar", "chatml-function-calling"), default="both")
    parser.add_argument("--max-tokens", type=int, default=160, help="cap on every completion, the handler's own included")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds a prompt may take before it is stopped and counted a failure")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run stops its worker too (run's `finally`)
    model_path = str(bundled_model_path())
    results: dict[str, Any] = {"model": model_path.rsplit("/", 1)[-1]}
    results.update({"max_tokens": args.max_tokens, "time_limit_seconds": args.time_limit, "load_average_at_start": os.getloadavg()})
    for mode in ("grammar", "chatml-function-calling"):
        if args.mode not in ("both", mode):
            continue
        print(mode, flush=True)
        results[mode] = run(mode, model_path, args.threads, args.max_tokens, args.time_limit)
        print(mode, summary(results[mode]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

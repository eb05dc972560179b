"""Can the bundled model (SmolLM2-135M-Instruct, Q4_1) call tools? 20 prompts, each needing one of the built-in tools,
tried two ways with llama.cpp, counting how often it calls the right tool with valid arguments (docs/actions.md).

    .venv/bin/python bench/bundled_tool_calls.py [--threads 2] [--json results.json] [--mode grammar|chatml-function-calling]

chatml-function-calling: llama-cpp-python's own function-calling chat format for ChatML models (SmolLM2 uses ChatML):
  the tools are described in the system prompt and its grammar constrains the call it writes; tool_choice "auto", so
  the model may also answer in text (counted as no call).
grammar: the tools listed in the system prompt, and the reply forced by a GBNF grammar made from a JSON Schema
  (LlamaGrammar.from_json_schema) to be {"name": <one of the tools>, "arguments": {...}}: a call is always made, the
  question is whether it is the right one with arguments its parameters accept.

Greedy decoding (temperature 0), so a rerun gives the same figures. "Valid arguments" means every required parameter
is there with its JSON type (and within its enum and bounds), and nothing else is; "right" means the tool the prompt
needs. Nothing here depends on the machine's speed.
"""

from __future__ import annotations

import argparse
import json
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


def run_function_calling(model_path: str, threads: int) -> list[dict[str, Any]]:
    from llama_cpp import Llama

    llama = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False,
                  chat_format="chatml-function-calling")
    rows = []
    for prompt, expected in PROMPTS:
        started = time.monotonic()
        reply = llama.create_chat_completion(messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                                             tools=DEFINITIONS, tool_choice="auto", temperature=0, max_tokens=128)
        message = reply["choices"][0]["message"]
        calls = message.get("tool_calls") or []
        name, arguments = None, None
        if calls:
            name = calls[0]["function"]["name"]
            try:
                arguments = json.loads(calls[0]["function"]["arguments"])
            except ValueError:
                arguments = calls[0]["function"]["arguments"]
        rows.append({"prompt": prompt, "expected": expected, "called": name, "arguments": arguments, "text": (message.get("content") or "")[:200],
                     "right": name == expected, "valid": name is not None and valid(name, arguments), "seconds": round(time.monotonic() - started, 2)})
        progress(rows[-1])
    return rows


def run_grammar(model_path: str, threads: int) -> list[dict[str, Any]]:
    from llama_cpp import Llama, LlamaGrammar

    llama = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    grammar = LlamaGrammar.from_json_schema(json.dumps(call_schema()), verbose=False)
    listing = "\n".join(json.dumps(d["function"]) for d in DEFINITIONS)
    system = f"{SYSTEM}\nThe tools:\n{listing}\nAnswer only with a JSON object: {{\"name\": <the tool>, \"arguments\": {{...}}}}."
    rows = []
    for prompt, expected in PROMPTS:
        started = time.monotonic()
        reply = llama.create_chat_completion(messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                                             grammar=grammar, temperature=0, max_tokens=160)
        text = reply["choices"][0]["message"].get("content") or ""
        try:
            call = json.loads(text)
        except ValueError:
            call = {}  # cut at max_tokens before the object closed
        name, arguments = call.get("name"), call.get("arguments")
        rows.append({"prompt": prompt, "expected": expected, "called": name, "arguments": arguments, "text": text[:200],
                     "right": name == expected, "valid": name is not None and valid(name, arguments), "seconds": round(time.monotonic() - started, 2)})
        progress(rows[-1])
    return rows


def progress(row: dict[str, Any]) -> None:
    mark = "ok  " if row["right"] and row["valid"] else ("tool" if row["right"] else "no  ")
    print(f"  {mark} want {row['expected']:<11} got {row['called']!s:<11} {json.dumps(row['arguments'])[:90]} ({row['seconds']} s)"
          f"\n       wrote: {row['text'][:160]!r}", flush=True)


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"prompts": len(rows), "called": sum(r["called"] is not None for r in rows), "right_tool": sum(r["right"] for r in rows),
            "valid_arguments": sum(r["valid"] for r in rows), "right_and_valid": sum(r["right"] and r["valid"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write every prompt's outcome to this file")
    parser.add_argument("--mode", choices=("both", "grammar", "chatml-function-calling"), default="both")
    args = parser.parse_args()
    model_path = str(bundled_model_path())
    results: dict[str, Any] = {"model": model_path.rsplit("/", 1)[-1]}
    for mode, run in (("grammar", run_grammar), ("chatml-function-calling", run_function_calling)):
        if args.mode not in ("both", mode):
            continue
        print(mode, flush=True)
        results[mode] = run(model_path, args.threads)
        print(mode, summary(results[mode]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    sys.stdout.flush()


if __name__ == "__main__":
    main()

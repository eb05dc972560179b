"""Knowledge benchmark: retrieval quality on the judged set, ingestion speed, and retrieval latency for a GPT with 20 files.

    .venv/bin/python bench/knowledge.py [--backend sqlite|postgresql] [--pages 100] [--answers 60 [--model local|standin]]

PostgreSQL comes from AGORA_BENCH_POSTGRES_URL (a database this script may wipe).
Quality: the self-written documents and questions of tests/data/knowledge (60 questions,
English and French, 15 French questions over English documents and 5 English ones over
French), each document uploaded to one GPT and ingested by agora.knowledge.jobs as a worker
does; a passage is relevant when it holds the question's fact. recall@5 (a relevant passage
among the first five) and MRR (1 / the rank of the first relevant one), for the hybrid search
the product uses and for each half alone, with the bundled embedder and with a stand-in
embedding server on loopback (hashed bags of words: lexical, no meaning), at 800/400-token
chunks (each document is one passage: this ranks documents) and at 60/20 (about ten passages
per document: this ranks passages).
Speed: a PDF of `--pages` pages of ~400 words ingested from its upload to `ready`; then 20
files of 10 such pages on one GPT, and the p50/p95 of 100 searches (query embedding included).
Not a test: nothing asserts a time. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402
from sqlalchemy import text  # noqa: E402

from agora import migrate  # noqa: E402
from agora.accounts import service as accounts  # noqa: E402
from agora.config import Settings  # noqa: E402
from agora.db import Database  # noqa: E402
from agora.gpts import service as gpts  # noqa: E402
from agora.gpts.content import GptContent  # noqa: E402
from agora.knowledge import files, jobs, keywords, retrieval  # noqa: E402
from tests.knowledge.embedding_standin import EmbeddingStandIn  # noqa: E402

DATA = ROOT / "tests" / "data" / "knowledge"
WORDS = ("harbour keeper lamp tower storm ship rope tide night light record winter coast signal beacon north island rock "
         "engine crew chart compass weather wind wave shore bell fog logbook oil wick lens").split()


def fresh(backend: str, home: Path) -> Database:
    url = os.environ["AGORA_BENCH_POSTGRES_URL"] if backend == "postgresql" else f"sqlite:///{home / 'agora.db'}"
    database = Database(url)
    with database.engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(database)
    return database


def new_gpt(database: Database, name: str):
    with database.session() as session:
        owner = accounts.user_by_email(session, "bench@example.com") or accounts.create_user(
            session, email="bench@example.com", display_name="Bench", password=None)
        return gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=GptContent(name=name)).id


def add(database: Database, settings: Settings, gpt_id: str, name: str, data: bytes, **chunking) -> None:
    received = files.receive(io.BytesIO(data), name=name, settings=settings)
    with database.session() as session:
        from agora.gpts.models import Gpt

        files.attach(session, session.get(Gpt, gpt_id), received, settings=settings, **chunking)


def ingest_all(database: Database, settings: Settings) -> None:
    while (document_id := jobs.claim(database)) is not None:
        jobs.run(database, document_id, settings)


@contextmanager
def only(half: str):
    """Search with the keyword or the vector half alone."""
    saved = (keywords.search, retrieval._nearest)
    if half == "vector":
        keywords.search = lambda *a, **k: []
    elif half == "keyword":
        retrieval._nearest = lambda *a, **k: []
    try:
        yield
    finally:
        keywords.search, retrieval._nearest = saved


def quality(database: Database, settings: Settings, size: int, overlap: int) -> dict[str, dict[str, float]]:
    questions = json.loads((DATA / "judged.json").read_text())["questions"]
    gpt_id = new_gpt(database, f"Judged {settings.embedder} {size}")
    for path in sorted(DATA.glob("*.md")):
        add(database, settings, gpt_id, path.name, path.read_bytes(), chunk_tokens=size, chunk_overlap=overlap)
    ingest_all(database, settings)
    results = {}
    for half in ("hybrid", "keyword", "vector"):
        by_group: dict[str, list[tuple[bool, float]]] = {}
        with only(half), database.session() as session:
            for question in questions:
                hits = retrieval.search(session, gpt_id=gpt_id, version=None, query=question["q"], limit=5, settings=settings)
                ranks = [rank for rank, hit in enumerate(hits, start=1) if question["fact"] in hit.text]
                outcome = (bool(ranks), 1 / ranks[0] if ranks else 0.0)
                cross = question["lang"] == "fr" and not question["file"].endswith(("maison.md", "phares.md"))
                for group in ("all", question["lang"], *(["fr→en"] if cross else [])):
                    by_group.setdefault(group, []).append(outcome)
        results[half] = {group: (statistics.mean(o[0] for o in outs), statistics.mean(o[1] for o in outs), len(outs))
                         for group, outs in by_group.items()}
    return results


def answers(database: Database, settings: Settings, limit: int | None) -> tuple[float, int]:
    """Answer-contains-fact: the bundled local model (SmolLM2-135M, llama.cpp) answers each question from the passages
    the product would give it (agora.replies.compose.knowledge, 800/400 chunks, the default budget); the share of answers
    holding the fact, compared case-insensitively."""
    import asyncio

    from agora.providers import registry
    from agora.providers.base import CompletionRequest, TextDelta
    from agora.replies import compose

    local = settings.model_copy(update={"chat_provider": "local", "local_context_tokens": 2048, "local_threads": 1})
    provider = registry.create("local", local)
    model = provider.models()[0]
    questions = json.loads((DATA / "judged.json").read_text())["questions"][:limit]
    gpt_id = new_gpt(database, "Answers")
    for path in sorted(DATA.glob("*.md")):
        add(database, settings, gpt_id, path.name, path.read_bytes())
    ingest_all(database, settings)

    async def ask(messages: list[dict]) -> str:
        pieces = []
        async for event in provider.stream(CompletionRequest(messages=messages, model=model, temperature=0.0, max_tokens=48)):
            if isinstance(event, TextDelta):
                pieces.append(event.text)
        return "".join(pieces)

    held = 0
    with database.session() as session:
        for question in questions:
            hits = retrieval.search(session, gpt_id=gpt_id, version=None, query=question["q"], limit=8, settings=settings)
            found = compose.knowledge(hits, budget=min(settings.knowledge_context_tokens, (2048 - 48) // 2), provider=provider, model=model)
            system = {"role": "system", "content": "Answer in one short sentence, in the language of the question.\n\n" + found.section}
            reply = asyncio.run(ask([system, {"role": "user", "content": question["q"]}]))
            held += question["fact"].lower() in reply.lower()
    return held / len(questions), len(questions)


def answers_from_standin(database: Database, settings: Settings, limit: int | None) -> tuple[float, float, int]:
    """Answer-contains-fact through the product's own reply path with a stand-in model: each question is a preview reply of
    a GPT holding the judged documents (agora.replies: admission, retrieval, prompt composition at the default 800/400 cut
    and budget, then the `openai` provider streaming from a server on loopback), and the server is the extractive reader of
    tests/knowledge/reader_standin.py (the sentence of the prompt's passages nearest the question). Returns the share of
    replies holding the fact, the share of prompts holding it (what any reader could at best copy), and the count."""
    import asyncio
    import uuid

    from agora.metering.writer import UsageWriter
    from agora.providers import registry
    from agora.replies.engine import Reply
    from agora.replies.prepare import prepare
    from agora.replies.request import ReplyRequest
    from tests.knowledge.reader_standin import ReaderStandIn

    reader = ReaderStandIn().start()
    used = settings.model_copy(update={"chat_provider": "openai", "openai_base_url": reader.base_url, "openai_models": "reader",
                                       "openai_max_retries": 0, "openai_timeout_seconds": 120.0, "openai_context_tokens": 8192})
    provider = registry.create("openai", used)
    questions = json.loads((DATA / "judged.json").read_text())["questions"][:limit]
    gpt_id = new_gpt(database, "Answers through replies")
    for path in sorted(DATA.glob("*.md")):
        add(database, used, gpt_id, path.name, path.read_bytes())
    ingest_all(database, used)
    writer = UsageWriter(database)

    async def ask_all() -> tuple[int, int]:
        replies_held = prompts_held = 0
        for question in questions:
            cross = question["lang"] == "fr" and not question["file"].endswith(("maison.md", "phares.md"))
            group = "fr→en" if cross else question["lang"]
            with database.session() as session:
                owner = accounts.user_by_email(session, "bench@example.com")
                request = ReplyRequest(user=owner, source="preview", messages=[{"role": "user", "content": question["q"]}], gpt_id=gpt_id,
                                       draft=True, language=question["lang"], count_message=False)  # no plan quota in a bench
                prepared = prepare(session, request, provider=provider, settings=used)
            outcome = await Reply(provider=provider, prepared=prepared, writer=writer, usage_key=f"bench:{uuid.uuid4().hex}").run()
            fact = question["fact"].lower()
            held = fact in outcome.text.lower()
            replies_held += held
            prompts_held += any(fact in str(m.get("content") or "").lower() for m in reader.prompts[-1] if m.get("role") == "system")
            by_group.setdefault(group, []).append(held)
        return replies_held, prompts_held

    by_group: dict[str, list[bool]] = {}

    try:
        replies_held, prompts_held = asyncio.run(ask_all())
    finally:
        writer.close()
        reader.stop()
    print("answer-contains-fact by group: " + ", ".join(f"{g} {sum(v)}/{len(v)}" for g, v in sorted(by_group.items())))
    return replies_held / len(questions), prompts_held / len(questions), len(questions)


def pdf_of(pages: int, seed: int) -> bytes:
    rng = random.Random(seed)
    document = FPDF()
    document.set_font("helvetica", size=10)
    for number in range(pages):
        document.add_page()
        document.multi_cell(0, 5, f"Page {number + 1}. " + " ".join(rng.choice(WORDS) for _ in range(400)))
    return bytes(document.output())


def speed(database: Database, settings: Settings, pages: int) -> dict[str, float]:
    gpt_id = new_gpt(database, "Speed")
    data = pdf_of(pages, seed=1)
    started = time.perf_counter()
    add(database, settings, gpt_id, "long.pdf", data)
    ingest_all(database, settings)
    ingest_seconds = time.perf_counter() - started
    many = new_gpt(database, "Twenty files")
    started = time.perf_counter()
    for n in range(20):
        add(database, settings, many, f"part{n}.pdf", pdf_of(10, seed=100 + n))
    ingest_all(database, settings)
    twenty_seconds = time.perf_counter() - started
    rng = random.Random(7)
    timings, cpu = [], []
    with database.session() as session:
        retrieval.search(session, gpt_id=many, version=None, query="warm up", limit=8, settings=settings)
        for _ in range(100):
            query = " ".join(rng.choice(WORDS) for _ in range(8)) + "?"
            started, used = time.perf_counter(), time.process_time()
            retrieval.search(session, gpt_id=many, version=None, query=query, limit=8, settings=settings)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    timings.sort()
    cpu.sort()
    return {"pages": pages, "ingest_s": ingest_seconds, "pdf_bytes": len(data), "twenty_files_s": twenty_seconds,
            "p50_ms": timings[49], "p95_ms": timings[94], "cpu_p50_ms": cpu[49], "cpu_p95_ms": cpu[94]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--answers", type=int, default=0, help="Questions the model answers (0: none; 60: all).")
    parser.add_argument("--model", choices=["local", "standin"], default="local",
                        help="Who answers: the bundled local model, or the extractive stand-in reader through the reply engine.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        database = fresh(args.backend, home)
        settings = Settings(home=home, database_url=database.url, secret_key="bench-" + "x" * 40, _env_file=None)
        standin = EmbeddingStandIn().start()
        stand_in = settings.model_copy(update={"embedder": "openai", "embedding_base_url": standin.base_url, "embedding_model": "bag-of-words"})
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        runs = () if args.skip_quality else (("bundled (USE multilingual)", settings), ("stand-in (bag of words)", stand_in))
        print("| embedder | chunks | search | recall@5 all | MRR all | recall@5 EN | recall@5 FR | recall@5 FR→EN (15) |")
        print("|---|---|---|---|---|---|---|---|")
        for label, used in runs:
            for size, overlap in ((800, 400), (60, 20)):
                for half, groups in quality(database, used, size, overlap).items():
                    print(f"| {label} | {size}/{overlap} | {half} | {groups['all'][0]:.2f} | {groups['all'][1]:.2f} | {groups['en'][0]:.2f} | "
                          f"{groups['fr'][0]:.2f} | {groups['fr→en'][0]:.2f} |")
        standin.stop()
        if args.answers and args.model == "standin":
            rate, in_prompt, asked = answers_from_standin(database, settings, args.answers)
            print(f"\nanswer-contains-fact, stand-in extractive reader through the reply engine: {rate:.2f} of {asked} questions "
                  f"(the fact in the prompt: {in_prompt:.2f})")
        elif args.answers:
            rate, asked = answers(database, settings, args.answers)
            print(f"\nanswer-contains-fact, bundled local model (SmolLM2-135M) over the retrieved passages: {rate:.2f} of {asked} questions")
        if not args.skip_speed:
            figures = speed(database, settings, args.pages)
            print(f"\n{figures['pages']}-page PDF ({figures['pdf_bytes'] / 1e6:.1f} MB) upload to ready: {figures['ingest_s']:.1f} s; "
                  f"20 files of 10 pages: {figures['twenty_files_s']:.1f} s; search over them (query embedding included): "
                  f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms of wall time; "
                  f"CPU p50 {figures['cpu_p50_ms']:.1f} ms, p95 {figures['cpu_p95_ms']:.1f} ms")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        database.dispose()


if __name__ == "__main__":
    main()

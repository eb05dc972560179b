"""Embedders: text to vectors behind one small interface, found by name in the `agora.embedders` entry-point group.

A factory takes the Settings and returns an `Embedder`: `model` (the id stored with every
vector it makes: vectors of different models are never compared), `dimensions`, and
`embed(texts, query=False)` returning L2-normalised float32 rows, or raising
`EmbedderUnavailable` (the server is down or refused: the files wait and retry, saying why).
Agora registers its own two (`bundled`, `openai`) in pyproject.toml as a plugin would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Protocol

import numpy as np

from agora.config import Settings

GROUP = "agora.embedders"


class EmbedderUnavailable(Exception):
    """The embedder cannot embed now (its server is down, slow or refused); the message says which and why."""


class Embedder(Protocol):
    model: str
    dimensions: int

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray: ...


Factory = Callable[[Settings], Embedder]
_made: dict[tuple, Embedder] = {}
_lock = threading.Lock()


def available() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def embedder_for(settings: Settings) -> Embedder:
    """The configured embedder (AGORA_EMBEDDER)."""
    return named(settings.embedder, settings)


def model_of(settings: Settings) -> str:
    """The model id the configured embedder stores with its vectors, without loading the bundled model's weights."""
    if settings.embedder == "bundled":
        from agora.knowledge.embedders.bundled import MODEL

        return MODEL
    return embedder_for(settings).model


def named(name: str, settings: Settings) -> Embedder:
    """The embedder `name`, made once per process (the bundled model loads its weights once, however many ask)."""
    key = (name,) if name == "bundled" else (name, settings.embedding_base_url, settings.embedding_model, settings.embedding_api_key,
                                               settings.embedding_timeout_seconds)
    with _lock:
        if key not in _made:
            found = entry_points(group=GROUP, name=name)
            if not found:
                raise LookupError(f"no embedder named {name!r} is installed (installed: {', '.join(available()) or 'none'}); check AGORA_EMBEDDER")
            factory: Factory = next(iter(found)).load()
            _made[key] = factory(settings)
        return _made[key]


def normalised(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)

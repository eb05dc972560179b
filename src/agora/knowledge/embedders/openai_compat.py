"""Any OpenAI-compatible `/v1/embeddings` server as an embedder: OpenAI, Ollama, vLLM, TEI, llama.cpp's server, or another Agora."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np

from agora.config import Settings
from agora.knowledge.embedders import EmbedderUnavailable, normalised

BATCH = 64  # inputs per request: servers cap a request's inputs (OpenAI at 2,048, TEI at 32 by default... 64 suits most)


class OpenAIEmbedder:
    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.embedding_base_url.rstrip("/")
        self.name = settings.embedding_model
        self.model = f"openai:{self.base_url}#{self.name}"  # vectors from another server or model are never compared with these
        self.dimensions = 0  # known from the first answer
        headers = {"Authorization": f"Bearer {settings.embedding_api_key}"} if settings.embedding_api_key else {}
        self._client = httpx.Client(timeout=settings.embedding_timeout_seconds, headers=headers)
        self._timeout = settings.embedding_timeout_seconds

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            rows += self._request(list(texts[start: start + BATCH]))
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        matrix = normalised(np.asarray(rows, dtype=np.float32))
        self.dimensions = matrix.shape[1]
        return matrix

    def _request(self, batch: list[str]) -> list[list[float]]:
        url = f"{self.base_url}/embeddings"
        try:
            response = self._client.post(url, json={"model": self.name, "input": batch, "encoding_format": "float"})
        except httpx.TimeoutException:
            raise EmbedderUnavailable(f"The embedding server at {self.base_url} did not answer in {self._timeout:g} s.") from None
        except httpx.HTTPError as error:
            raise EmbedderUnavailable(f"Could not reach the embedding server at {self.base_url} ({type(error).__name__}).") from None
        if response.status_code != 200:
            raise EmbedderUnavailable(f"The embedding server at {self.base_url} refused the request (HTTP {response.status_code}): "
                                      f"{_message(response)}")
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError):
            raise EmbedderUnavailable(f"The embedding server at {self.base_url} sent an answer that is not OpenAI's embeddings shape.") from None
        if len(rows) != len(batch):
            raise EmbedderUnavailable(f"The embedding server at {self.base_url} sent {len(rows)} embeddings for {len(batch)} texts.")
        return rows


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def create(settings: Settings) -> OpenAIEmbedder:
    return OpenAIEmbedder(settings)

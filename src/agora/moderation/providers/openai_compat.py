"""The `openai` moderation provider: any server speaking OpenAI's POST /v1/moderations (OpenAI, or a guard model behind one)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from agora.config import Settings
from agora.moderation.categories import CATEGORIES
from agora.moderation.providers import ProviderUnavailable, Screening


class OpenAIModeration:
    name = "openai"

    def __init__(self, *, base_url: str, api_key: str | None, model: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/moderations"
        self.api_key, self.model, self.timeout = api_key, model, timeout

    def screen(self, texts: Sequence[str]) -> list[Screening]:
        if not texts:
            return []
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.post(self.url, json={"model": self.model, "input": list(texts)}, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"the moderation server at {self.url} did not answer ({error.__class__.__name__})") from error
        if response.status_code != 200:
            raise ProviderUnavailable(f"the moderation server at {self.url} answered {response.status_code}: {response.text[:200]}")
        try:
            results = response.json()["results"]
            if len(results) != len(texts):
                raise ValueError(f"{len(results)} results for {len(texts)} inputs")
            return [_screening(result) for result in results]
        except (ValueError, KeyError, TypeError) as error:
            raise ProviderUnavailable(f"the moderation server at {self.url} answered something else than OpenAI's moderation shape ({error})") from error


def _screening(result: dict) -> Screening:
    """The categories the server flagged, with their scores; categories outside OpenAI's list are kept as the server names them."""
    flags = result.get("categories") or {}
    scores = result.get("category_scores") or {}
    flagged = {name: float(scores.get(name, 1.0)) for name, on in flags.items() if on is True}
    if result.get("flagged") is True and not flagged:  # flagged overall without a category: say so rather than pass it
        flagged = {"unspecified": 1.0}
    return Screening({name: flagged[name] for name in sorted(flagged, key=lambda n: (n not in CATEGORIES, n))})


def create(settings: Settings) -> OpenAIModeration:
    return OpenAIModeration(base_url=settings.moderation_base_url, api_key=settings.moderation_api_key,
                            model=settings.moderation_model, timeout=settings.moderation_timeout_seconds)

"""The `builtin` moderation provider, offline: a wordlist per language (English, French) and a classifier of offensive
language whose weights ship in the `alt-profanity-check` package (a linear SVM over TF-IDF, English-trained)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from agora.config import Settings
from agora.moderation.categories import CATEGORIES
from agora.moderation.providers import Screening
from agora.text import fold

LANGUAGES = ("en", "fr")
_WORDS = re.compile(r"[\w']+")


@cache
def wordlist() -> tuple[tuple[tuple[str, ...], str], ...]:
    """(phrase as folded words, category) for every entry of every language's list."""
    entries = []
    for language in LANGUAGES:
        for line in files("agora.moderation").joinpath("wordlists", f"{language}.txt").read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            category, phrase = line.split("\t")
            if category not in CATEGORIES:
                raise ValueError(f"wordlists/{language}.txt: unknown category {category!r}")
            entries.append((tuple(_words(phrase)), category))
    return tuple(entries)


def _words(text: str) -> list[str]:
    return _WORDS.findall(fold(text).replace("’", "'"))


def wordlist_categories(text: str) -> set[str]:
    words = _words(text)
    joined = f" {' '.join(words)} "
    return {category for phrase, category in wordlist() if f" {' '.join(phrase)} " in joined}


class BuiltinModeration:
    name = "builtin"
    _lock = threading.Lock()  # scikit-learn's vectorizer is not documented as thread-safe

    def __init__(self, *, profanity_threshold: float) -> None:
        self.threshold = profanity_threshold

    def screen(self, texts: Sequence[str]) -> list[Screening]:
        if not texts:
            return []
        with self._lock:
            from profanity_check import predict_prob  # loads the model on first use, not when Agora starts

            scores = [float(p) for p in predict_prob(list(texts))]
        results = []
        for text, score in zip(texts, scores, strict=True):
            categories = dict.fromkeys(wordlist_categories(text), 1.0)
            if score >= self.threshold:
                # Offensive language is what the classifier was trained on: OpenAI's nearest category is harassment.
                categories["harassment"] = max(categories.get("harassment", 0.0), round(score, 3))
            results.append(Screening(categories))
        return results


def create(settings: Settings) -> BuiltinModeration:
    return BuiltinModeration(profanity_threshold=settings.moderation_profanity_threshold)

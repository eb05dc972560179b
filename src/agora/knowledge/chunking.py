"""Chunks of a document: windows of N tokens overlapping by M, never across a page (a citation names one page).

Tokens here are words and punctuation marks (`\\w+|[^\\w\\s]`), Agora's own count whatever the
embedder: a BPE tokenizer counts about 1.3 of its tokens per such word in English prose. A
chunk's text is the document's own, from its first token to its last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from agora.knowledge.parsing import Page

TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Chunk:
    page: int | None
    text: str


def count_tokens(text: str) -> int:
    return sum(1 for _ in TOKEN.finditer(text))


def chunks(pages: list[Page], *, size: int, overlap: int) -> Iterator[Chunk]:
    step = max(size - overlap, 1)
    for page in pages:
        spans = [match.span() for match in TOKEN.finditer(page.text)]
        start = 0
        while start < len(spans):
            end = min(start + size, len(spans))
            yield Chunk(page.number, page.text[spans[start][0]: spans[end - 1][1]])
            if end == len(spans):
                break
            start += step

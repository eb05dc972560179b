"""Turning what a visitor typed into terms both search backends understand safely."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agora.text import fold

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Query:
    """Accent-folded, lower-case words; the last one matches as a prefix while typing."""

    terms: tuple[str, ...]
    prefix_last: bool

    @property
    def empty(self) -> bool:
        return not self.terms


def parse(text: str, *, prefix_last: bool = False) -> Query:
    # Operators and quotes are never passed through: a query is words, nothing else.
    # A repeated word adds nothing to an AND query but makes the index read its matches twice.
    terms = tuple(dict.fromkeys(t[:MAX_TERM_LENGTH] for t in _WORD.findall(fold(text))))[:MAX_TERMS]
    return Query(terms=terms, prefix_last=prefix_last and bool(terms))


def fts5_match(query: Query, columns: tuple[str, ...] | None = None) -> str:
    """An FTS5 MATCH expression: every term required, each quoted so none is an operator."""
    parts = []
    for i, term in enumerate(query.terms):
        quoted = '"' + term.replace('"', '""') + '"'
        if query.prefix_last and i == len(query.terms) - 1:
            quoted += "*"
        parts.append(quoted)
    expression = " AND ".join(parts)
    if columns:
        expression = "{" + " ".join(columns) + "} : (" + expression + ")"
    return expression


def tsquery_terms(query: Query) -> list[tuple[str, bool]]:
    """(term, is_prefix) pairs; the PostgreSQL backend binds each term as a parameter."""
    return [(term, query.prefix_last and i == len(query.terms) - 1) for i, term in enumerate(query.terms)]

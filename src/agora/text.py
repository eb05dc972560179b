"""Small text helpers shared by several domains."""

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Résumé" and "resume" compare equal."""
    if text.isascii():  # most text: nothing to strip, and ten times faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str, *, max_length: int = 40) -> str:
    """A URL-safe lower-case slug: ASCII letters, digits and single hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-")

"""The impersonation check: a GPT's name or description using a protected brand's name or a verified builder's name.

Names are compared after folding what makes two spellings look alike: compatibility forms (NFKC: 'ＯｐｅｎＡＩ',
ligatures), case and accents, characters Unicode lists as confusable with a Latin letter ('Оpen' with a Cyrillic O,
from the `confusable-homoglyphs` package's copy of Unicode's confusables), and a few look-alike digits and symbols
people type on purpose ('0p3nAI'). A name matches as whole words, with or without the spaces between them
('Open AI' claims 'OpenAI'); 'Ada' does not match inside 'Canada'.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from confusable_homoglyphs import confusables

# Look-alikes typed on purpose, which Unicode's tables (about characters, not intent) do not fold.
SKELETON = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "|": "l", "!": "i"})
_WORD = re.compile(r"[a-z0-9@$|!]+")
MIN_NAME_CHARACTERS = 3  # shorter names ('Al') would flag half the store


@lru_cache(maxsize=65536)
def _latin(character: str) -> str:
    """The Latin letter a confusable character stands for, or the character itself."""
    if character.isascii():
        return character
    found = confusables.is_confusable(character, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for homoglyph in entry.get("homoglyphs", []):
            candidate = homoglyph.get("c", "")
            if len(candidate) == 1 and candidate.isascii() and candidate.isalnum():
                return candidate.lower()
    return character


def skeleton_words(text: str) -> list[str]:
    """The text's words once everything that only looks different is folded away."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = "".join(_latin(ch) for ch in text).lower()
    words = _WORD.findall(text)
    # Digits and symbols fold to letters only inside words that have letters ('0p3nai'), so 'GPT-4' or '2024' stay as typed.
    return [word.translate(SKELETON) if any(c.isalpha() for c in word) else word for word in words]


def claims(text: str, name: str) -> bool:
    """Whether `text` uses `name` (both folded): its words in a row, or glued together in one to three words of the text."""
    wanted = skeleton_words(name)
    if not wanted or len("".join(wanted)) < MIN_NAME_CHARACTERS:
        return False
    words = skeleton_words(text)
    glued = "".join(wanted)
    for start in range(len(words)):
        if words[start:start + len(wanted)] == wanted:
            return True
        for length in (1, 2, 3):
            if "".join(words[start:start + length]) == glued:
                return True
    return False


def claimed_names(texts: Iterable[str], names: Iterable[str]) -> list[str]:
    """The protected names (as written) that any of the texts uses."""
    texts = list(texts)
    return [name for name in dict.fromkeys(names) if any(claims(text, name) for text in texts)]

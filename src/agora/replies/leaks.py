"""The instruction-leak filter: a reply is stopped before it repeats more than N consecutive words of its GPT's instructions.

People chatting can often get a GPT to say its instructions (about 90 % of the GPTs tried in
arXiv 2402.15105). A builder may turn this filter on (`GptContent.leak_filter`); N is the
operator's `AGORA_LEAK_FILTER_WORDS`. Words are compared folded: case, punctuation and
whitespace do not count ("**You are** a, tutor!" repeats "you are a tutor").

It works on the stream, one word at a time: the instructions' words are a suffix automaton
(every run of them is a path), and the reply walks it, so the longest run of the
instructions that the reply has just repeated is known after each word at the cost of a few
dict lookups. Text goes out as it comes; only when the reply has just repeated N words in a
row is the next word held back until it ends (the next character is not a letter or digit):
if it is the instructions' next word, the reply stops there, and the person has seen at most
N words of them in a row. A reply is never buffered beyond that one word. With the filter
off nothing of this runs (`Prepared.leaks` is None).
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from functools import lru_cache

from agora.i18n import gettext as _
from agora.providers.base import Event, TextDelta

FINISH_REASON = "content_filter"  # OpenAI's finish reason for a reply its filter cut short
_PIECES = re.compile(r"(\w+)|\W+")  # words (letters, digits) and what separates them
_WORDS = re.compile(r"\w+")


def notice() -> str:
    """What the person is told where the reply stops (in their language)."""
    return _("This reply was stopped: it repeated the GPT's hidden instructions.")


def words(text: str) -> list[str]:
    """Words as the filter compares them: case, punctuation and whitespace folded."""
    return [word.casefold() for word in _WORDS.findall(text)]


class Instructions:
    """A GPT's instruction texts as a suffix automaton over their words; `limit` is N, the longest run a reply may repeat.

    Each text ends with a separator of its own, so no run spans two texts (the main
    instructions and a translation). Built once per distinct texts (`instructions_for`).
    """

    def __init__(self, texts: Iterable[str], limit: int) -> None:
        self.limit = limit
        self.ids: dict[str, int] = {}
        self.edges: list[dict[int, int]] = [{}]  # per state: word id -> state
        self.link: list[int] = [-1]  # per state: the state of its longest suffix that ends elsewhere too
        self.length: list[int] = [0]  # per state: the longest run of words it stands for
        last, separator = 0, -1
        for text in texts:
            for word in words(text):
                last = self._extend(last, self.ids.setdefault(word, len(self.ids)))
            last, separator = self._extend(last, separator), separator - 1

    def _extend(self, last: int, word: int) -> int:
        """The classic online construction: one word more, O(1) amortised."""
        edges, link, length = self.edges, self.link, self.length
        current = len(edges)
        edges.append({})
        link.append(0)
        length.append(length[last] + 1)
        state = last
        while state != -1 and word not in edges[state]:
            edges[state][word] = current
            state = link[state]
        if state == -1:
            return current
        following = edges[state][word]
        if length[state] + 1 == length[following]:
            link[current] = following
            return current
        clone = len(edges)
        edges.append(dict(edges[following]))
        link.append(link[following])
        length.append(length[state] + 1)
        while state != -1 and edges[state].get(word) == following:
            edges[state][word] = clone
            state = link[state]
        link[following] = link[current] = clone
        return current

    def watch(self) -> Watch:
        return Watch(self)


# An automaton of the longest instructions (8,000 characters and their translation) takes about 1 MB and 26 ms to
# build: 32 of them bound the memory per worker, and a GPT chatted with again is found here.
@lru_cache(maxsize=32)
def _built(texts: tuple[str, ...], limit: int) -> Instructions:
    return Instructions(texts, limit)


def instructions_for(texts: Iterable[str], limit: int) -> Instructions | None:
    """The automaton for these instruction texts (None when they have no words), shared by every reply that uses them."""
    kept = tuple(text for text in texts if _WORDS.search(text))
    return _built(kept, limit) if kept else None


class Watch:
    """One reply's walk through the instructions: `feed` each piece of text, `end` where the model's text ends.

    Both return what may reach the person now; once `leaked` is set the reply must stop,
    and what was held back is dropped.
    """

    def __init__(self, instructions: Instructions) -> None:
        self.instructions = instructions
        self.state = 0  # where the reply's last words lead in the automaton
        self.run = 0  # how many of the reply's last words are a run of the instructions
        self.word = ""  # the word being written (the next piece may go on with it)
        self.held = ""  # that word, kept back: it could be the run's (N+1)th
        self.leaked = False
        self.longest = 0  # the longest run repeated so far (for the measurement, bench/leaks.py)

    def feed(self, text: str) -> str:
        if self.leaked:
            return ""
        out: list[str] = []
        limit = self.instructions.limit
        for piece in _PIECES.finditer(text):
            word = piece.group(1)
            if word is not None:
                self.word += word
                if self.run >= limit:
                    self.held += word
                else:
                    out.append(word)
                continue
            if self.word and not self._ended(out):
                return "".join(out)
            out.append(piece.group())
        return "".join(out)

    def end(self) -> str:
        """The model's text ended (its stream finished, or turned to tool calls): the last word is whole."""
        out: list[str] = []
        if self.word and not self.leaked:
            self._ended(out)
        return "".join(out)

    def whole(self, text: str) -> str:
        """A whole reply at once: the part of it that may be shown."""
        shown = self.feed(text)
        return shown + self.end()

    def _ended(self, out: list[str]) -> bool:
        """The current word is whole: walk on. False (and `leaked`) when it makes the run longer than allowed."""
        automaton = self.instructions
        word_id = automaton.ids.get(self.word.casefold())
        self.word = ""
        state, run = self.state, self.run
        if word_id is None:
            state = run = 0
        else:
            edges, link, length = automaton.edges, automaton.link, automaton.length
            while state and word_id not in edges[state]:
                state = link[state]
                run = length[state]
            if word_id in edges[state]:
                state, run = edges[state][word_id], run + 1
            else:
                state = run = 0
        self.state, self.run = state, run
        self.longest = max(self.longest, run)
        if run > automaton.limit:
            self.leaked, self.held = True, ""
            return False
        if self.held:
            out.append(self.held)
            self.held = ""
        return True

    async def filtered(self, events: AsyncIterator[Event]) -> AsyncGenerator[Event, None]:
        """The model's stream with the leak cut out: it ends (closing the model's stream, as a stop does) at a leak."""
        async with aclosing(events) as source:  # type: ignore[type-var]
            async for event in source:
                if isinstance(event, TextDelta):
                    shown = self.feed(event.text)
                    if shown:
                        yield TextDelta(shown)
                else:
                    shown = self.end()
                    if shown:
                        yield TextDelta(shown)
                if self.leaked:
                    return
                if not isinstance(event, TextDelta):
                    yield event

"""Plain prose skips the Markdown parser: the HTML is exactly the parser's and the sanitizer's, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agora.chat import markdown

# Mostly what plain prose is made of, with the characters and line starts that mean something to Markdown mixed in.
PROSE = st.text(alphabet=st.sampled_from(list("abcXYZ éàç€ 0123 .,;:?!'\"%/@$’“”«»–—…+=-\n\n    ") + list("_*#>`[]()<&|~\\\t\r\xa0")), max_size=80)
WORDS = st.lists(st.sampled_from(["word", "Word", "1.", "2)", "-", "+", "=", "===", "  ", "    ", "\n", "\n\n", " ", "é", "\"q\"", "x-y"]),
                 max_size=30).map("".join)


@settings(max_examples=3000)
@given(st.one_of(PROSE, WORDS))
def test_the_fast_path_writes_what_the_parser_writes(text):
    assert markdown.render(text) == markdown.parsed(text)


def test_a_plain_reply_takes_the_fast_path():
    text = " ".join(["token"] * 50) + "\n\nA second paragraph, well-known: “quoted” 50 % of 3.5 €."
    assert not markdown._NOT_PLAIN.search(text) and not markdown._SPECIAL_LINE.search(text)
    assert markdown.render(text) == markdown.parsed(text)

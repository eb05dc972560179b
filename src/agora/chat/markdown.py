"""Markdown from the model and from users, rendered to HTML that cannot run script.

Two locks: markdown-it is told to treat raw HTML as text, and nh3 (the ammonia
sanitizer) then keeps only an allow-list of tags, attributes and link schemes, in case
a renderer bug or a plugin ever lets something through.

Plain prose (no character or line start Markdown gives a meaning to) is written as
paragraphs directly: the same HTML, for 2 us instead of the parser's and the sanitizer's
90 (a 50-word reply, measured in-process); every finished reply is rendered, and 1,000
ending together took 0.09 s of the worker before their `done` events could go out.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "code": {"class"}, "pre": {"class"}, "ol": {"start"}, "th": {"class"}, "td": {"class"}}
_formatter = HtmlFormatter(nowrap=True, classprefix="hl-")


def _highlight(code: str, language: str, _attrs) -> str:
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    body = highlight(code, lexer, _formatter) if lexer else html.escape(code)
    label = html.escape(language) if lexer else ""
    return f'<pre class="code"><code class="language-{label}">{body}</code></pre>' if label else f'<pre class="code"><code>{body}</code></pre>'


def _alignment_as_classes(state) -> None:
    """A table column's alignment as a class (`align-right`), not a style attribute: the
    pages' Content-Security-Policy allows no inline style (agora.web.security_headers)."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and (style := token.attrGet("style")):
            del token.attrs["style"]
            token.attrSet("class", "align-" + style.removeprefix("text-align:"))


_markdown = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable(["table", "strikethrough"])
_markdown.core.ruler.push("alignment_as_classes", _alignment_as_classes)


# Characters that mean nothing to CommonMark here (no linkify, no typographer) and that neither
# the renderer nor the sanitizer rewrites; and the line starts that make a list, a heading,
# a code block or a rule of a line made only of them, and the spaces that make a line break.
_NOT_PLAIN = re.compile(r"[^\w \n.,;:?!'\"%/@$€£°’‘“”«»–—…+=-]|_")
_SPECIAL_LINE = re.compile(r"^(?: {4}| *[-+=]| *\d+[.)])|  +\n", re.M)


def render(text: str) -> str:
    if not _NOT_PLAIN.search(text) and not _SPECIAL_LINE.search(text):
        return _paragraphs(text)
    return parsed(text)


def parsed(text: str) -> str:
    """Through the parser and the sanitizer, whatever the text."""
    return nh3.clean(
        _markdown.render(text),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def _paragraphs(text: str) -> str:
    """Plain prose as CommonMark renders it: blank lines separate paragraphs, each line's outer spaces go."""
    out, lines = [], []
    for line in [*text.split("\n"), ""]:
        line = line.strip(" ")
        if line:
            lines.append(line)
        elif lines:
            out.append("<p>" + "\n".join(lines) + "</p>\n")
            lines = []
    return "".join(out)

"""Text out of a knowledge file, page by page where the format has pages (PDF), so citations can name the page.

PDF with pypdf (per-page text; an encrypted file opens only without a password), DOCX with
python-docx (paragraphs and tables in order), HTML as its visible text (scripts, styles and
navigation dropped by the standard library's parser), CSV as rows of `header: value`, JSON as
one `key: value` line per field of each record, Markdown and text as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based; None for formats without pages
    text: str


class ParseFailed(Exception):
    """The file cannot be read; the message says why, for the builder."""


def parse(path: Path, kind: str) -> list[Page]:
    pages = _PARSERS[kind](path)
    if not any(page.text.strip() for page in pages):
        if kind == "pdf":
            raise ParseFailed("This PDF has no text to read: it holds only images (scanned pages). Agora does not read text in images (no OCR).")
        raise ParseFailed("This file has no text.")
    return pages


def _pdf(path: Path) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseFailed("This PDF is encrypted with a password: upload a copy without one.")
        return [Page(number, page.extract_text() or "") for number, page in enumerate(reader.pages, start=1)]
    except FileNotDecryptedError:
        raise ParseFailed("This PDF is encrypted with a password: upload a copy without one.") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        # pypdf raises these for damaged files (a cut-off cross-reference table, a broken object).
        raise ParseFailed(f"This PDF is damaged and cannot be read ({type(error).__name__}: {str(error)[:120]}).") from None


def _docx(path: Path) -> list[Page]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise ParseFailed(f"This Word document is damaged and cannot be read ({type(error).__name__}).") from None
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
    return [Page(None, "\n".join(lines))]


class _VisibleText(HTMLParser):
    SKIPPED = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "svg", "head"})
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "pre", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html(path: Path) -> list[Page]:
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8-sig", errors="replace"))
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return [Page(None, "\n".join(line for line in lines if line))]


def _csv(path: Path) -> list[Page]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        lines = ["; ".join(f"{name}: {value}" for name, value in zip(header, row, strict=False) if value.strip()) for row in rows if row]
    return [Page(None, "\n".join(lines))]


def _json(path: Path) -> list[Page]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    records = data if isinstance(data, list) else [data]
    return [Page(None, "\n\n".join("\n".join(_fields(record, "")) for record in records))]


def _fields(value: Any, prefix: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _fields(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, inner in enumerate(value):
            yield from _fields(inner, f"{prefix}[{index}]")
    else:
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        yield f"{prefix}: {shown}" if prefix else str(shown)


def _plain(path: Path) -> list[Page]:
    return [Page(None, path.read_text(encoding="utf-8-sig", errors="replace"))]


_PARSERS = {"pdf": _pdf, "docx": _docx, "html": _html, "csv": _csv, "json": _json, "markdown": _plain, "text": _plain}

"""A knowledge file's kind, told by its content, not its name: PDF by its magic, DOCX as a zip holding word/document.xml,
the text formats by decoding as UTF-8 and parsing (JSON must parse; CSV must have a header and rows of its width)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from agora.errors import InvalidInput
from agora.i18n import gettext as _

KINDS = ("pdf", "docx", "html", "csv", "json", "markdown", "text")
SNIFF_BYTES = 1024 * 1024  # text formats are checked on their first megabyte (a CSV's rows, JSON's start)


def kind_of(path: Path, name: str) -> str:
    """The kind of the file at `path`, uploaded as `name`; InvalidInput (field `file`) when Agora cannot read it."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    suffix = Path(name).suffix.lower()
    text = _decoded(head, whole=path.stat().st_size <= SNIFF_BYTES)
    stripped = text.lstrip("\ufeff \t\r\n")
    if suffix in (".html", ".htm") or stripped[:15].lower().startswith(("<!doctype html", "<html")):
        return "html"
    if suffix == ".json" or (stripped[:1] in "{[" and stripped):
        return _json_kind(path, suffix)
    if suffix == ".csv":
        _check_csv(text)
        return "csv"
    return "markdown" if suffix in (".md", ".markdown") else "text"


def _unreadable() -> InvalidInput:
    return InvalidInput(_("Agora reads PDF, Word (.docx), HTML, CSV, JSON, Markdown and plain text (UTF-8) files; this one is none of them."),
                        field="file")


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(_("This file looks like a ZIP archive or Word document but is damaged."), field="file") from None
    if "word/document.xml" in names:
        return "docx"
    raise InvalidInput(_("This file is a ZIP archive, not a Word document (.docx): upload the documents it holds instead."), field="file")


def _decoded(head: bytes, *, whole: bool) -> str:
    if b"\x00" in head:
        raise _unreadable()
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The first megabyte may end in the middle of a character; anything else is not UTF-8.
        if whole or error.start < len(head) - 4:
            raise _unreadable() from None
        return head[: error.start].decode("utf-8")


def _json_kind(path: Path, suffix: str) -> str:
    try:
        json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        if suffix == ".json":
            raise InvalidInput(_("This JSON file does not parse: check it with a JSON validator."), field="file") from None
        return "markdown" if suffix in (".md", ".markdown") else "text"
    return "json"


def _check_csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))[:50]
    rows = [row for row in rows if row]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise InvalidInput(_("This CSV file needs a header row and at least one row of data."), field="file")

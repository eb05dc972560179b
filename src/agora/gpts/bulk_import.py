"""A way in from hosted GPTs: many GPT definitions in one JSON or CSV file.

The shape is what an admin can assemble from the hosted product's compliance exports or by
hand: one GPT per row (a JSON list of objects, or {"gpts": [...]}; or CSV with a header
row) of name, description, instructions, starters and capabilities, plus optionally
welcome_message and category. Capabilities the hosted product names differently are mapped
onto Agora's flags; those with no equivalent, and columns Agora does not read, are reported
per GPT (notes) instead of failing the file. Anything that cannot be stored refuses the
whole file, naming the row and field.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any

from pydantic import ValidationError

from agora.errors import InvalidInput
from agora.gpts.content import MAX_STARTERS, GptContent
from agora.gpts.validation import invalid
from agora.i18n import gettext as _

FORMAT = "hosted-bulk"
FIELDS = ("name", "description", "instructions", "starters", "capabilities", "welcome_message", "category")
ALIASES = {"conversation_starters": "starters", "prompt_starters": "starters", "system_prompt": "instructions", "title": "name",
           "tools": "capabilities", "opening_message": "welcome_message"}
# The hosted product's capability names (and their spellings in exports) -> Agora's flag.
CAPABILITIES = {
    "web_search": "web_search", "web_browsing": "web_search", "browsing": "web_search", "browser": "web_search", "web": "web_search",
    "file_search": "knowledge", "retrieval": "knowledge", "knowledge": "knowledge", "files": "knowledge",
    "actions": "actions", "plugins": "actions",
    "calculator": "calculator", "maps": "maps",
}
MAX_ROWS = 1000
INERT = ("actions",)  # flags Agora stores but no reply uses yet (GPT actions)
NEEDS_A_SERVICE = ("web_search", "maps")  # tools that act where the operator named their service (docs/actions.md)


class CsvRows(list):
    """The rows of a CSV file (as opposed to a JSON document), for importing.parse."""


def is_bulk(data: Any) -> bool:
    rows = data.get("gpts") if isinstance(data, dict) and set(data) == {"gpts"} else data
    return (isinstance(rows, list) and bool(rows) and all(isinstance(row, dict) for row in rows)
            and all("name" in row or "title" in row for row in rows)
            and not any("params" in row or "base_model_id" in row or "meta" in row for row in rows))


def looks_like_csv(raw: bytes) -> bool:
    start = raw.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    return bool(start) and start not in (b"{", b"[")


def read_csv(raw: bytes) -> CsvRows:
    """The rows of a CSV file with a header row (UTF-8), as dicts; InvalidInput naming the line otherwise."""
    try:
        text = raw.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("The CSV file is not UTF-8 text: save it as CSV UTF-8."), field="/") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "name" not in headers and "title" not in headers:
        raise InvalidInput(_("The CSV file needs a header row with at least a name column (then description, instructions, "
                             "starters, capabilities)."), field="/")
    reader.fieldnames = headers
    try:
        rows = CsvRows({key: value for key, value in row.items() if key} for row in reader)
    except csv.Error as error:
        raise InvalidInput(_("The CSV file cannot be read at line %(line)d: %(reason)s.", line=reader.line_num, reason=str(error)),
                           field="/") from None
    if not rows:
        raise InvalidInput(_("The CSV file has a header row but no GPT."), field="/")
    return rows


def parse_rows(data: Any, *, source: str) -> list[tuple[GptContent, list[str]]]:
    """Each row's content and its notes (what was not carried over), all rows checked before any is created."""
    rows = data["gpts"] if isinstance(data, dict) else data
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("At most %(max)d GPTs per file: split it.", max=MAX_ROWS), field="/")
    return [_row(row, where(source, i)) for i, row in enumerate(rows)]


def where(source: str, index: int) -> str:
    # JSON: the row's pointer. CSV: its line in the file (the header is line 1), as a spreadsheet numbers it.
    return f"/{index}" if source == "json" else f"line {index + 2}"


def _row(row: dict[str, Any], where: str) -> tuple[GptContent, list[str]]:
    fields: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in row.items():
        target = ALIASES.get(str(key).strip().lower(), str(key).strip().lower())
        if target not in FIELDS:
            if value not in (None, "", [], {}):
                notes.append(_("%(where)s: %(column)s is not carried over (Agora has no such field).", where=where, column=key))
            continue
        fields[target] = value
    starters = _list(fields.pop("starters", None), where, "starters", lines=True)
    if len(starters) > MAX_STARTERS:
        notes.append(_("%(where)s: only the first %(max)d conversation starters are kept.", where=where, max=MAX_STARTERS))
    flags = _capabilities(_list(fields.pop("capabilities", None), where, "capabilities", lines=False), where, notes)
    content = {key: value for key, value in fields.items() if value not in (None, "")}
    content.update(starters=starters[:MAX_STARTERS], capabilities=flags)
    try:
        return GptContent.model_validate(content), notes
    except ValidationError as error:
        if where.startswith("/"):
            raise invalid(error, pointer=where) from None
        raise invalid(error, field=f"{where}: " + "/".join(str(part) for part in error.errors()[0]["loc"])) from None


def _capabilities(names: list[str], where: str, notes: list[str]) -> dict[str, bool]:
    """Agora's flags for the hosted product's capability names; what maps to nothing (or to a flag nothing uses yet) noted."""
    flags: dict[str, bool] = {}
    for name in names:
        flag = CAPABILITIES.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))
        if flag is None:
            notes.append(_("%(where)s: capability %(name)s has no equivalent in Agora and is not carried over.", where=where, name=repr(name)))
            continue
        flags[flag] = True
        if flag in INERT:  # kept, as every importer keeps it, but said plainly: nothing uses it yet
            notes.append(_("%(where)s: capability %(name)s is kept as a flag, but Agora does not act on it yet.", where=where, name=repr(name)))
        elif flag in NEEDS_A_SERVICE:
            notes.append(_("%(where)s: capability %(name)s is kept; it works where this server's operator has set up its service.",
                           where=where, name=repr(name)))
        elif flag == "knowledge":
            notes.append(_("%(where)s: the knowledge files themselves are not in the file: upload them in the GPT's Knowledge section.",
                           where=where))
    return flags


def _list(value: Any, where: str, column: str, *, lines: bool) -> list[str]:
    """A list as JSON gives it, or as a CSV cell holds it: one per line (starters) or separated by , ; | (capabilities)."""
    if value is None or value == "":
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    if isinstance(value, str):
        parts = re.split(r"\r?\n|\|" if lines else r"[,;|\n]", value)
        return [part.strip() for part in parts if part.strip()]
    field = f"{where}/{column}" if where.startswith("/") else f"{where}: {column}"
    raise InvalidInput(_("%(field)s must be a list.", field=field), field=field)

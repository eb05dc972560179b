"""Citations: the numbered passages a reply was given, and which of them its text cites ("[2]").

The model is asked to cite by number; the reply keeps those it cited, or, when it cited none
(small models rarely do), every passage it was given, so the person can always check where an
answer may come from. Each says file, page and a quote short enough to show on hover: a GPT's
files never leave the server whole.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from agora.i18n import gettext as _

QUOTE_CHARS = 400
CITED = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    number: int
    file_id: int
    file_name: str
    page: int | None
    quote: str

    def shown(self) -> dict[str, Any]:
        return asdict(self)



def quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def used(text: str, given: list[Citation]) -> list[Citation]:
    """The passages `text` cites by number, in their order; all of them when it cites none."""
    numbers = {int(n) for n in CITED.findall(text)}
    cited = [citation for citation in given if citation.number in numbers]
    return cited or list(given)


def labelled(shown: dict[str, Any]) -> dict[str, Any]:
    """A citation as outputs show it, with its `label` in the reader's language: "manual.pdf, page 3"."""
    page = shown.get("page")
    label = _("%(file)s, page %(page)s", file=shown["file_name"], page=page) if page is not None else shown["file_name"]
    return {**shown, "label": label}

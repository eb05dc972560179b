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
    # The route that downloads the cited file, when the GPT's builder lets users download its files; "" otherwise.
    download: str = ""

    def shown(self) -> dict[str, Any]:
        shown = asdict(self)
        if not self.download:
            del shown["download"]
        return shown



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
    labelled = {**shown, "label": label}
    if shown.get("download"):
        labelled["download_label"] = _("Download %(file)s", file=shown["file_name"])
    return labelled


def download_path(gpt_id: str, file_id: int) -> str:
    return f"/api/gpts/{gpt_id}/files/{file_id}/download"

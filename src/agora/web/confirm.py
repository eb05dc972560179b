"""The confirmation step before money moves or something is lost: a page (no script needed)
naming what will happen, whose button sends the real POST and whose Cancel goes back."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from agora.web.templating import render


@dataclass(frozen=True)
class Confirmation:
    title: str
    lines: list[str]
    action: str  # where the confirmed form posts (the action's usual POST address)
    button: str
    cancel: str  # where Cancel goes: the page the person came from
    fields: list[tuple[str, str]] = field(default_factory=list)  # carried to the POST unchanged
    danger: bool = False


def confirmation_page(request: Request, confirm: Confirmation) -> Response:
    """Shown by a GET: asking changes nothing, so a link or a reload is harmless."""
    return render(request, "confirm.html", confirm=confirm)

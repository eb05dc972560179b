"""The tools Agora ships, each turned on by a capability in the GPT's content (the builder's checkbox) and, for those that
need a service, by the operator naming it (docs/actions.md, "Built-in tools")."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from agora.config import get_settings
from agora.gpts.models import Gpt
from agora.i18n import gettext as _
from agora.tools import web_search
from agora.tools.base import Tool, ToolOwner
from agora.tools.calculator import Calculator
from agora.tools.maps import FindPlace, PlaceAt, Route
from agora.tools.reader import ReadPage
from agora.workspaces.service import outbound_domains

CALCULATOR = Calculator()
TOOLS: tuple[Tool, ...] = (CALCULATOR,)
# Every built-in tool's title by name, for the chat's lines (the configured tools are made per reply, with the settings).
TITLES: dict[str, Callable[[], str]] = {
    CALCULATOR.name: CALCULATOR.title, "web_search": lambda: _("Web search"), "read_page": lambda: _("Page reading"),
    "find_place": lambda: _("Maps"), "place_at": lambda: _("Maps"), "route": lambda: _("Route"),
}


def tools_of(session: Session | None, owner: ToolOwner) -> Iterable[Tool]:
    settings = owner.settings or get_settings()
    capabilities = owner.content.capabilities
    if capabilities.calculator:
        yield CALCULATOR
    if capabilities.web_search:
        if web_search.configured(settings):
            yield web_search.WebSearch(settings)
        if settings.page_reading:
            yield ReadPage(settings, _workspace_domains(session, owner.gpt_id))
    if capabilities.maps and settings.offers_maps():
        yield FindPlace(settings)
        yield PlaceAt(settings)
        if settings.maps_router_url:
            yield Route(settings)


def _workspace_domains(session: Session | None, gpt_id: str) -> tuple[str, ...] | None:
    """The domain list of the GPT's workspace, which its page reading keeps to (none without a session: nothing to narrow by)."""
    if session is None:
        return None
    workspace_id = session.scalar(select(Gpt.workspace_id).where(Gpt.id == gpt_id))
    return outbound_domains(session, workspace_id)

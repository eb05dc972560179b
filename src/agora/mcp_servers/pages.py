"""The admin page of instance-wide MCP servers (the editor's section is part of the GPT editor); both are filled by mcp.js."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from agora.errors import Forbidden
from agora.i18n import gettext as _
from agora.mcp_servers import source
from agora.web.deps import CurrentUser
from agora.web.templating import render

router = APIRouter(prefix="/admin/mcp")


@router.get("")
def mcp_admin_page(request: Request, user: CurrentUser) -> Response:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))
    return render(request, "mcp/admin.html", stdio_names=sorted(source.SOURCE.stdio_servers))

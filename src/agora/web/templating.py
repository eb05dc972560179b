"""Jinja2 set-up: autoescaping, gettext bound to the request's language, shared context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from agora import i18n
from agora.web import csrf

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    extensions=["jinja2.ext.i18n"],
    autoescape=True,
)
_env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.translations(i18n.current_language.get()).gettext(message),
    lambda singular, plural, n: i18n.translations(i18n.current_language.get()).ngettext(singular, plural, n),
    newstyle=True,
)
_env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
templates = Jinja2Templates(env=_env)


def add_globals(**values: Any) -> None:
    """Names every template can use, given by the domains that own them (the app factory calls this):
    the web layer sits below the store and the builder, so it cannot import their helpers itself."""
    _env.globals.update(values)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    if "user" not in context:
        from agora.web.deps import signed_in_user  # error pages render before any dependency ran

        context["user"] = signed_in_user(request, request.app.state.database)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.update(
        lang=request.state.language,
        csrf_token=csrf.token_for(request),
        current_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
    return templates.TemplateResponse(request, template, context, status_code=status)

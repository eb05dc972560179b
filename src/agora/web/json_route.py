"""The JSON API's route class: request bodies are parsed by agora.inputs.parse_json, not json.loads.

FastAPI parses a JSON body with json.loads and turns any failure into a bare 400 ("There
was an error parsing the body"); a body nested 1,000 deep fails that way only if the stack
happens to be deep enough. Routers of the JSON API use `JsonRoute`, whose requests parse
their body first with the shared parser: a refused body is a 422 naming `body` and where
the document goes wrong, before authentication, CSRF or the endpoint run.
"""

from __future__ import annotations

from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from agora.inputs import parse_json


class JsonRequest(Request):
    """A request whose `json()` is the shared parser's (FastAPI reads the body through it)."""

    async def json(self) -> Any:
        if not hasattr(self, "parsed_json"):
            self.parsed_json = parse_json(await self.body())
        return self.parsed_json


def declares_json(content_type: str | None) -> bool:
    """The media types FastAPI reads as JSON: application/json and application/*+json."""
    media = (content_type or "").partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class JsonRoute(APIRoute):
    def get_route_handler(self):
        handle = super().get_route_handler()
        if self.body_field is None or isinstance(self.body_field.field_info, params.Form):
            return handle  # nothing to parse as JSON (forms and uploads are read by Starlette)

        async def parse_then_handle(request: Request) -> Response:
            request = JsonRequest(request.scope, request.receive)
            if declares_json(request.headers.get("content-type")) and await request.body():
                await request.json()  # here, so a refusal is Agora's error and not FastAPI's bare 400
            return await handle(request)

        return parse_then_handle

"""/v1 as a plain ASGI application, reached before the pages' middleware and routing.

A gateway is judged by the time it adds to a call. FastAPI's dependency machinery, its
router walking every page route, and the pages' middleware (language, CSRF cookie) cost
more per call than the rest of /v1 together, and /v1 needs none of them: `V1First` sends
every /v1 request straight to `V1App`, which routes its three endpoints itself and answers
every error in OpenAI's shape.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agora.api.openai import routes
from agora.api.openai.errors import OpenAIError, with_upgrade_url
from agora.api.openai.state import v1_state
from agora.billing.errors import UPGRADE_URL, PlanRequired, QuotaExceeded
from agora.credits.errors import BUY_URL, CreditsRequired
from agora.db import is_outage
from agora.errors import AgoraError

log = logging.getLogger("agora.api")
PREFIX = "/v1"
MODELS = "/v1/models"


class V1App:
    def __init__(self, main) -> None:
        self.main = main  # the main application: its state is read on every request (tests swap parts of it)

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request, scope["path"].removeprefix(scope.get("root_path", "")))
        except OpenAIError as error:
            response = error.response()
        except AgoraError as error:
            response = _agora_error(request, error)
        except Exception as error:  # noqa: BLE001 - the last resort: any failure answers in OpenAI's error shape
            response = _unexpected(request, error)
        await response(scope, receive, send)

    async def _dispatch(self, request: Request, path: str) -> Response:
        method = request.method
        if path == "/v1/chat/completions":
            _allow(method, "POST")
            return await routes.chat_completions(request, await v1_state(self.main.state))
        if path == "/v1/embeddings":
            _allow(method, "POST")
            return await routes.embeddings(request, await v1_state(self.main.state))
        if path == MODELS:
            _allow(method, "GET")
            return await routes.list_models(request, await v1_state(self.main.state))
        if path.startswith(MODELS + "/") and len(path) > len(MODELS) + 1:
            _allow(method, "GET")
            return await routes.get_model(request, await v1_state(self.main.state), path[len(MODELS) + 1:])
        raise OpenAIError(404, f"Unknown request URL: {method} {request.url.path}.", code="unknown_url")


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise OpenAIError(405, "Method Not Allowed", headers={"Allow": allowed})


def _agora_error(request: Request, error: AgoraError) -> Response:
    # A refusal from a shared service (the plans' entitlement and quota checks, for one)
    # keeps its status and code, in OpenAI's shape; 429s keep their Retry-After.
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    status = 400 if error.status == 422 else error.status  # OpenAI says 400 for invalid input
    message = error.message
    if isinstance(error, (PlanRequired, QuotaExceeded)):
        # The plans' refusals name the upgrade page by its path; an API caller needs the full address.
        upgrade = request.app.state.settings.resolved_public_url() + UPGRADE_URL  # never the Host header
        message = with_upgrade_url(message, UPGRADE_URL, upgrade, suggest=isinstance(error, QuotaExceeded) and error.plan is not None)
    if isinstance(error, CreditsRequired):  # the page to buy credit, as a full address
        message = message.replace(BUY_URL, request.app.state.settings.resolved_public_url() + BUY_URL)
    return OpenAIError(status, message, code=error.code, param=error.field, headers=headers).response()


def _unexpected(request: Request, error: Exception) -> Response:
    if is_outage(error):  # the database did not answer: worth retrying, unlike a bug
        log.warning("database unavailable for %s %s: %s", request.method, request.url.path, error)
        return OpenAIError(503, "The database is unavailable right now. Try again in a minute.", code="database_unavailable",
                           headers={"Retry-After": "30"}).response()
    log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(
        {"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": None, "code": None}},
        status_code=500,
    )


class V1First:
    """Middleware, outermost: /v1 requests go to `v1`, everything else down the pages' stack."""

    def __init__(self, app, v1: V1App) -> None:
        self.app, self.v1 = app, v1

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope["path"].removeprefix(scope.get("root_path", ""))
            if path == PREFIX or path.startswith("/v1/"):
                await self.v1(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_v1_app(main) -> V1App:
    return V1App(main)

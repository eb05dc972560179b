"""The /v1 sub-application: mounted by agora.app so every answer under /v1 has OpenAI's error shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from agora.api.openai import routes
from agora.api.openai.errors import OpenAIError, with_upgrade_url
from agora.billing.errors import UPGRADE_URL, PlanRequired, QuotaExceeded
from agora.errors import AgoraError

log = logging.getLogger("agora.api")


def create_v1_app(main: FastAPI) -> FastAPI:
    v1 = FastAPI(title="Agora OpenAI-compatible API", docs_url=None, redoc_url=None, openapi_url=None)
    v1.state.main = main
    v1.include_router(routes.router)

    @v1.exception_handler(OpenAIError)
    async def openai_error(request: Request, error: OpenAIError) -> JSONResponse:
        return error.response()

    @v1.exception_handler(AgoraError)
    async def agora_error(request: Request, error: AgoraError) -> JSONResponse:
        # A refusal from a shared service (the plans' entitlement and quota checks, for one)
        # keeps its status and code, in OpenAI's shape; 429s keep their Retry-After.
        retry_after = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        status = 400 if error.status == 422 else error.status  # OpenAI says 400 for invalid input
        message = error.message
        if isinstance(error, (PlanRequired, QuotaExceeded)):
            # The plans' refusals name the upgrade page by its path; an API caller needs the full address.
            root = request.scope.get("root_path", "").removesuffix("/v1")
            upgrade = str(request.url.replace(path=root + UPGRADE_URL, query=""))
            message = with_upgrade_url(message, UPGRADE_URL, upgrade, suggest=isinstance(error, QuotaExceeded) and error.plan is not None)
        return OpenAIError(status, message, code=error.code, param=error.field, headers=headers).response()

    @v1.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        param = ".".join(str(p) for p in first["loc"][1:])
        return OpenAIError(400, f"Invalid value for '{param}': {first['msg']}.", param=param, code="invalid_value").response()

    @v1.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 404:
            message = f"Unknown request URL: {request.method} {request.url.path}."
            return OpenAIError(404, message, code="unknown_url").response()
        return OpenAIError(error.status_code, str(error.detail)).response()

    @v1.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return JSONResponse(
            {"error": {"message": "The server had an error while processing your request.", "type": "server_error", "param": None, "code": None}},
            status_code=500,
        )

    return v1

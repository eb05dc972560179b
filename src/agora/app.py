"""The web application: create_app() wires settings, database, routers and error pages."""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from agora import __version__, housekeeping, redis_outage
from agora.accounts import api as accounts_api
from agora.accounts import api_key_pages, recovery_pages, verification_pages
from agora.accounts import routes as accounts_pages
from agora.actions import api as actions_api
from agora.actions import oauth_routes as action_oauth_routes
from agora.actions import tools as action_tools  # registers the GPTs' actions as a tool source
from agora.api.openai.app import V1First, create_v1_app
from agora.api.openai.callers import CallerCache
from agora.api.openai.key_plans import KeyPlans
from agora.audit import pages as audit_pages
from agora.billing import admin_pages as billing_admin_pages
from agora.billing import api as billing_api
from agora.billing import clock as billing_clock
from agora.billing import routes as billing_pages
from agora.billing import subscribe_api as billing_subscribe_api
from agora.billing import webhook_routes as billing_webhooks
from agora.billing.errors import UPGRADE_URL
from agora.cache import Caches
from agora.chat import api as chat_api
from agora.chat import preview_api as chat_preview_api
from agora.chat import routes as chat_pages
from agora.config import Settings, get_settings
from agora.credits import pricing as credit_pricing
from agora.credits import routes as credits_routes
from agora.credits.errors import money as credit_money
from agora.db import Database
from agora.errors import ERROR_RESPONSES, AgoraError, EmailUnverified, Unauthorized, Unavailable
from agora.gpts import api as gpts_api
from agora.gpts import avatars, importing
from agora.gpts import routes as gpts_pages
from agora.i18n import gettext as _
from agora.inventory import pages as inventory_pages
from agora.knowledge import api as knowledge_api
from agora.knowledge import storage as knowledge_storage
from agora.knowledge.worker import Worker as KnowledgeWorker
from agora.mcp_servers import api as mcp_api
from agora.mcp_servers import pages as mcp_pages
from agora.mcp_servers import source as mcp_source
from agora.mcp_servers import stdio as mcp_stdio
from agora.moderation import api as moderation_api
from agora.moderation import messages as moderation_messages
from agora.moderation import pages as moderation_pages
from agora.payouts import admin_pages as payouts_admin_pages
from agora.payouts import pages as payouts_pages
from agora.payouts import webhooks as payouts_webhooks  # noqa: F401 - registers Stripe's transfer events with the billing webhook
from agora.providers import admin_pages as provider_admin_pages
from agora.retention import pages as retention_pages
from agora.scim import pages as scim_pages
from agora.scim.api import PREFIX as SCIM_PREFIX
from agora.scim.api import create_scim_app
from agora.sso import routes as sso_pages
from agora.sso import settings_pages as sso_settings_pages
from agora.sso.discovery import ProviderCache
from agora.store import admin_pages as store_admin_pages
from agora.store import api as store_api
from agora.store import cards as store_cards
from agora.store import details as store_details
from agora.store import featured_admin as store_featured_admin
from agora.store import featured_api as store_featured_api
from agora.store import featured_pages as store_featured_pages
from agora.store import pages as store_pages
from agora.store import profile_pages as store_profile_pages
from agora.store import ranking as store_ranking
from agora.store import review_pages as store_review_pages
from agora.store import routes as store_gpt_page
from agora.store import social_api as store_social_api
from agora.store.caches import StoreCaches
from agora.team_store import pages as team_store_pages
from agora.tools import allowance_pages
from agora.web.api_docs import add_api_docs
from agora.web.body_limit import BodyLimit, larger_limits
from agora.web.csrf import csrf_protect
from agora.web.deps import login_address, verify_address, wants_json
from agora.web.request_context import RequestContextMiddleware
from agora.web.security_headers import SecurityHeaders
from agora.web.templating import add_globals, render
from agora.workspaces import api as workspaces_api
from agora.workspaces import routes as workspaces_pages

log = logging.getLogger("agora.app")
STATIC = Path(__file__).parent / "web" / "static"
# Every router of the application, and whether it belongs in the OpenAPI schema (pages do not).
ROUTERS: list[tuple[APIRouter, bool]] = [
    (accounts_pages.router, False),
    (recovery_pages.router, False),
    (verification_pages.router, False),
    (accounts_api.router, True),
    (api_key_pages.router, False),
    (store_pages.router, False),
    (store_gpt_page.router, False),
    (store_review_pages.router, False),
    (store_profile_pages.router, False),
    (store_admin_pages.router, False),
    (store_featured_admin.router, False),
    (store_featured_pages.router, False),
    (provider_admin_pages.router, False),
    (store_api.router, True),
    (store_social_api.router, True),
    (store_featured_api.router, True),
    (gpts_pages.router, False),
    (gpts_api.router, True),
    (chat_preview_api.router, True),
    (knowledge_api.router, True),
    (actions_api.router, True),
    (action_oauth_routes.router, True),
    (action_oauth_routes.pages, False),
    (mcp_api.router, True),
    (mcp_pages.router, False),
    (chat_pages.router, False),
    (chat_api.router, True),
    (allowance_pages.router, False),
    (allowance_pages.api, True),
    (billing_pages.router, False),
    (billing_admin_pages.router, False),
    (billing_api.router, True),
    (billing_subscribe_api.router, True),
    (workspaces_pages.router, False),
    (workspaces_api.router, True),
    (sso_pages.router, False),
    (sso_settings_pages.router, False),
    (scim_pages.router, False),
    (audit_pages.router, False),
    (retention_pages.router, False),
    (inventory_pages.router, False),
    (team_store_pages.router, False),
    (payouts_pages.router, False),
    (payouts_pages.api, True),
    (payouts_admin_pages.router, False),
    (credits_routes.router, False),
    (credits_routes.api, True),
    (moderation_pages.router, False),
    (moderation_api.router, True),
]


# Young objects the cyclic garbage collector lets accumulate before a collection (CPython's
# default is 700). A worker streaming 1,000 replies holds a few hundred thousand objects
# (connections, responses, tasks): with the default, collections of the older generations
# came so often that they paused every stream for 40 to 280 ms at a time; with this one,
# ten times fewer, and the young ones take a few milliseconds (docs/benchmarks.md).
GC_YOUNG_THRESHOLD = 20_000


def _tune_garbage_collector() -> None:
    """Once the worker has started: what it built so far (modules, routes, settings) lives as long
    as the process, so it is set aside from every later collection, which then walk only the rest."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    moderation_messages.policy(settings)  # an unknown category in the message guardrails' policy stops the start, naming the setting

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _tune_garbage_collector()
        # Caches a GPT page needs, read while the worker starts taking requests and kept fresh.
        stop_refreshing = threading.Event()
        threading.Thread(target=store_details.keep_fresh, args=(app.state.database, app.state.caches.store.neighbourhoods, stop_refreshing), daemon=True,
                         name="agora-keep-fresh").start()
        # What falls due in billing with nobody asking (an offline plan left unpaid past its grace period).
        app.state.billing_clock = billing_clock.Clock(app.state.database).start()
        # Knowledge files are ingested in the background by threads of each worker process (agora.knowledge.worker).
        app.state.knowledge_worker = KnowledgeWorker(app.state.database, settings).start()
        # What retention rules delete: old audit entries, expired conversations.
        app.state.housekeeper = housekeeping.Housekeeper(app.state.database, app.state.settings).start()
        log.info("agora started", extra={"database": app.state.database.dialect})
        yield
        # Uvicorn has stopped taking requests and finished the open ones by now.
        stop_refreshing.set()
        await anyio.to_thread.run_sync(app.state.billing_clock.stop)
        await anyio.to_thread.run_sync(app.state.knowledge_worker.stop)
        await anyio.to_thread.run_sync(app.state.housekeeper.stop)
        if (writer := getattr(app.state, "usage_writer", None)) is not None:
            await anyio.to_thread.run_sync(writer.close)  # the queued usage (and replies), before the database goes
        app.state.database.dispose()
        if (limiter := getattr(app.state, "api_limiter", None)) is not None:
            await limiter.aclose()  # the /v1 rate limiter's Redis connections
        if (limiter := getattr(app.state, "mail_limiter", None)) is not None:
            await limiter.aclose()  # the reset and verification links' limiter (accounts.recovery_pages)
        log.info("agora stopped")

    app = FastAPI(
        title="Agora", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/api/openapi.json"
    )
    app.state.settings = settings
    app.state.database = Database(settings.resolved_database_url(), info={"settings": settings})  # moderation reads them in its listener
    app.state.secret_key = settings.resolved_secret_key()
    # MCP servers' tools join every GPT's tools; stdio commands come from the operator's file only (agora.mcp_servers.stdio).
    app.state.mcp_stdio_servers = mcp_stdio.load(settings.mcp_stdio_config)
    mcp_source.install(app.state)
    action_tools.install(app.state)  # OAuth actions read and refresh people's tokens in its database
    _add_template_globals()
    # Every cache of this application: made here, cleared as one, invalidated by events (agora.cache).
    app.state.caches = Caches(store=StoreCaches(), api_plans=KeyPlans(), api_callers=CallerCache(), sso=ProviderCache())

    for router, in_schema in ROUTERS:
        # CSRF is checked at the router level so no new form can forget it.
        app.include_router(router, dependencies=[Depends(csrf_protect)], include_in_schema=in_schema,
                           responses=ERROR_RESPONSES if in_schema else None)
    app.include_router(billing_webhooks.router, responses=ERROR_RESPONSES)  # no cookies, no CSRF: a verified signature authenticates it
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(SCIM_PREFIX, create_scim_app(app))  # bearer tokens, no cookies or CSRF; SCIM's own errors
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)  # browsers ask for it on every site
    add_api_docs(app)
    _add_operations(app)
    _add_error_handlers(app)
    # Inside the request context (its 413 page speaks the visitor's language), ahead of routing.
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, larger=larger_limits(route for router, _ in ROUTERS for route in router.routes))
    app.add_middleware(RequestContextMiddleware, settings=settings)
    # Everything under /v1 (errors included) speaks OpenAI's dialect, and skips the pages'
    # middleware and routes (see agora.api.openai.app).
    app.add_middleware(V1First, v1=create_v1_app(app))
    # Every response, /v1's too; the scheme a trusted proxy reports decides Secure cookies.
    app.add_middleware(SecurityHeaders, always_secure_cookies=settings.cookie_secure)
    if settings.trusted_proxies:  # outermost: the client's address and scheme, from a proxy Agora trusts
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def _add_template_globals() -> None:
    add_globals(
        bucket=store_ranking.conversation_bucket, store_card=store_cards.store_card, store_shelf=store_cards.store_shelf,
        store_ranked=store_cards.store_ranked, store_hero=store_cards.store_hero,
        # File fields check a chosen file's size in the browser against these (static/agora.js).
        MAX_FILE_BYTES={"avatar": avatars.MAX_BYTES, "gpt_document": importing.MAX_DOCUMENT_BYTES},
        message_price=credit_pricing.label, money_millis=credit_money,  # a GPT's price per message, shown before the first message
    )


def _favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


def _add_operations(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    def readyz(request: Request) -> Response:
        """The database answers; load balancers send traffic only when this is 200.

        A configured Redis that does not answer is reported, but leaves this 200: limits and
        quotas fall back without it (docs/operations.md, "When Redis goes away"). So is a configured
        knowledge bucket that is missing, refuses the keys or does not answer (`knowledge_storage`)."""
        try:
            with request.app.state.database.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            log.warning("readiness check failed", extra={"error": str(exc)})
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        answer, degraded = {"status": "ok", "database": "ok"}, False
        if (redis_url := request.app.state.settings.redis_url) is not None:
            answer["redis"] = "ok" if redis_outage.answers(redis_url) else "unreachable"
            degraded = answer["redis"] != "ok"
        if request.app.state.settings.knowledge_s3_bucket:
            # Like Redis: reported, still 200; the store serves without its knowledge bucket, only file uploads and ingestion wait.
            problem = knowledge_storage.check(request.app.state.settings)
            answer["knowledge_storage"] = "ok" if problem is None else problem[0]
            if problem is not None:
                log.warning("knowledge storage check failed", extra={"error": problem[1]})
                answer["knowledge_storage_error"] = problem[1]
                degraded = True
        return JSONResponse({**answer, "status": "degraded" if degraded else "ok"})


def _reason(error: dict) -> str:
    # A validator's own message (agora.inputs.storable's, for one) without pydantic's "Value error, ".
    return error["msg"].removeprefix("Value error, ")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AgoraError)
    async def agora_error(request: Request, error: AgoraError) -> Response:
        if wants_json(request):
            headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else None
            return JSONResponse(error.as_json(), status_code=error.status, headers=headers)
        if isinstance(error, Unauthorized):
            return RedirectResponse(login_address(request), status_code=303)
        if isinstance(error, EmailUnverified):
            return RedirectResponse(verify_address(request), status_code=303)
        # A plan refusal links to the plans, as every refusal for a plan must.
        upgrade = getattr(error, "plan", None) and UPGRADE_URL
        return render(request, "error.html", error.status, message=error.message, upgrade_url=upgrade)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_away(request: Request, error: Exception) -> Response:
        # The database did not answer (or could not write): say so, rather than a bare 500.
        log.warning("database unavailable for %s %s: %s", request.method, request.url.path, error)
        unavailable = Unavailable(_("The database is unavailable right now. Try again in a minute."), retry_after=30, code="database_unavailable")
        return await agora_error(request, unavailable)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
        body: dict[str, Any] = {"code": "invalid_input", "message": f"{field or 'request'}: {_reason(first)}", "field": field}
        if len(error.errors()) > 1:
            body["details"] = [
                {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": _reason(e)} for e in error.errors()
            ]
        return JSONResponse({"error": body}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if wants_json(request):
            code = "not_found" if error.status_code == 404 else "http_error"
            return JSONResponse({"error": {"code": code, "message": str(error.detail)}}, status_code=error.status_code)
        return render(request, "error.html", error.status_code, title_key="not_found" if error.status_code == 404 else None)

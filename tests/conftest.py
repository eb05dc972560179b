"""Fixtures: real databases (SQLite always, PostgreSQL when AGORA_TEST_POSTGRES_URL is set)
and real HTTP servers on loopback.

Each backend gets one database and one server for the whole run; every test starts
from an empty, migrated database. With AGORA_TEST_NO_SKIP=1 (CI sets it) a skipped
test counts as a failure, so a missing PostgreSQL or Chromium cannot pass silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from agora import migrate
from agora.app import create_app
from agora.billing.plans import ensure_default_plans
from agora.config import Settings
from agora.db import BEGIN_IMMEDIATE, Database, begin_writing
from agora.models import Base
from agora.store.service import ensure_default_categories

POSTGRES_URL = os.environ.get("AGORA_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]
SECRET = "test-secret-key-" + "x" * 40


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("AGORA_TEST_NO_SKIP") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, and AGORA_TEST_NO_SKIP=1 forbids skips: {report.longrepr}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Tests about something else publish GPTs and expect them in the store at once: they run with the store's review
# off (docs/moderation.md, "Tests"); the automated checks still run, and tests/moderation sets the modes it tests.
REVIEW_OFF = {"moderation_review": "never"}
os.environ.setdefault("AGORA_MODERATION_REVIEW", "never")  # for the tests' own Database objects (no app settings in their sessions)


def make_settings(home: Path, database_url: str, **overrides) -> Settings:
    return Settings(home=home, database_url=database_url, secret_key=SECRET, _env_file=None, **{**REVIEW_OFF, **overrides})


def backend_url(backend: str, home: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{home / 'agora.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need AGORA_TEST_POSTGRES_URL (see docs/testing.md)")
    return POSTGRES_URL


def reset_schema(database: Database) -> None:
    """Drop everything, so a previous run's leftovers never leak into this one."""
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def wipe(database: Database) -> None:
    """Empty every table (keeping the schema), then restore the reference data."""
    flush_usage(database)  # the last test's usage, written before the tables it names are emptied
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # As SQLite's writer from BEGIN: the server's ingestion threads and usage writer still commit while a test
    # starts, and a transaction that read before writing would fail at once (SQLITE_BUSY_SNAPSHOT, "database is locked").
    with database.engine.connect() as connection, connection.execution_options(**{BEGIN_IMMEDIATE: True}).begin():
        # Triggers keep the ledger append-only (migration 0025): off while the tests empty it.
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The FTS5 indexes of store_listings are not model tables: empty them first.
            for index in ("store_fts", "store_names_fts"):
                connection.execute(text(f"INSERT INTO {index}({index}) VALUES ('delete-all')"))
            connection.execute(text("DELETE FROM knowledge_fts"))  # the knowledge chunks' keyword index (agora.knowledge.keywords)
            triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            for _name, sql in triggers:
                connection.execute(text(sql))
    with database.session() as session:
        begin_writing(session)
        ensure_default_categories(session)
        ensure_default_plans(session)
    for server in SERVERS:  # the application's caches (store pages, /v1 keys) held what the last test made
        if server.database is database:
            server.app.state.caches.clear()


AGORA = str(Path(sys.executable).parent / "agora")


def start_agora(home: Path, *, database_url: str, workers: int = 2, environment: dict[str, str] | None = None,
                **settings) -> tuple[subprocess.Popen, str, Path]:
    """`agora serve` as a real process on a free port, returned once /readyz answers.

    Logs are JSON (they carry each worker's pid) in home/server.log. No AGORA_SECRET_KEY:
    serve must generate one before forking, shared by every worker. The caller stops it.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_HOME=str(home), AGORA_DATABASE_URL=database_url, AGORA_LOG_FORMAT="json", AGORA_MODERATION_REVIEW="never")
    env.update({f"AGORA_{name.upper()}": str(value) for name, value in settings.items()})
    env.update(environment or {})
    log = home / "server.log"
    process = subprocess.Popen([AGORA, "serve", "--workers", str(workers), "--port", str(port)],
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a deadline, not a measure: a loaded 2-core machine took 158 s to start two workers
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url, log
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("agora serve did not become ready:\n" + log.read_text())
        time.sleep(0.2)


def stop_agora(process: subprocess.Popen) -> None:
    """Stop a server start_agora started as an operator would: SIGTERM, and uvicorn stops its
    workers too (SIGKILL to the parent alone leaves them running, orphaned, holding connections)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(log: Path, request: str = "") -> set[int]:
    """Pids of the workers whose access log lines mention `request` (e.g. "POST /v1/chat/completions ")."""
    pids = set()
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("logger") == "uvicorn.access" and request in entry.get("message", ""):
            pids.add(entry["pid"])
    return pids


class LiveServer:
    """Agora served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        # Where it listens, as `agora serve` tells its workers: absolute links point here.
        self.settings = settings.model_copy(update={"port": self.port})
        self.app = create_app(self.settings)
        self.url = f"http://127.0.0.1:{self.port}"
        # No proxy headers, as `agora serve`: the app believes them from AGORA_TRUSTED_PROXIES only.
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def database(self) -> Database:
        return self.app.state.database

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


SERVERS: list[LiveServer] = []  # every test server started, to find the one serving a database


def flush_usage(database: Database) -> None:
    """Write the usage the application serving `database` has queued (its writer batches it: tests read right after a call)."""
    for server in SERVERS:
        writer = getattr(server.app.state, "usage_writer", None)
        if server.database is database and writer is not None:
            writer.flush()


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request, tmp_path_factory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp(f"agora-{request.param}")
    settings = make_settings(home, backend_url(request.param, home))
    bootstrap = Database(settings.resolved_database_url())
    reset_schema(bootstrap)
    migrate.upgrade(bootstrap)
    bootstrap.dispose()
    server = LiveServer(settings).start()
    SERVERS.append(server)
    yield server
    server.stop()


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    wipe(live_server.database)
    return live_server


@pytest.fixture
def database(server: LiveServer) -> Database:
    return server.database


@pytest.fixture
def backend(server: LiveServer) -> str:
    return server.database.dialect


class Browser(httpx.Client):
    """An HTTP client that behaves like a browser submitting Agora's forms."""

    def csrf(self, path: str = "/login") -> str:
        page = self.get(path)
        if page.is_redirect:  # e.g. /login when already signed in: every page carries the token
            page = self.get("/")
        match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def submit(self, path: str, data: dict, *, form_page: str | None = None) -> httpx.Response:
        token = self.csrf(form_page or path)
        return self.post(path, data={**data, "csrf_token": token})

    def signup(self, email: str = "ada@example.com", password: str = "correct horse battery", name: str = "Ada", **extra) -> httpx.Response:
        return self.submit("/signup", {"email": email, "password": password, "display_name": name, **extra})

    def login(self, email: str = "ada@example.com", password: str = "correct horse battery") -> httpx.Response:
        return self.submit("/login", {"email": email, "password": password})

    def api_headers(self) -> dict[str, str]:
        page = self.get("/")
        token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)
        return {"X-CSRF-Token": token}


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with Browser(base_url=server.url, follow_redirects=False, timeout=30) as client:
        yield client


@pytest.fixture
def make_browser(server: LiveServer):
    clients: list[Browser] = []

    def factory(**kwargs) -> Browser:
        client = Browser(base_url=server.url, follow_redirects=False, timeout=30, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


# ---- Real Chromium through Playwright (Debian's /usr/bin/chromium; nothing is downloaded) ----

CHROMIUM = os.environ.get("AGORA_TEST_CHROMIUM", "/usr/bin/chromium")
# The closed network refuses Chromium's background calls; these flags stop it making them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope, not session: Playwright's sync API keeps an asyncio loop running on the
# main thread while it is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (make test does it when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, server):
    context = chromium.new_context(base_url=server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in_in_chromium(context, email: str, password: str = "correct horse battery"):
    """A new tab of `context` where `email` has logged in through the form, as a person does."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="My GPTs").first).to_be_visible()
    return page


def sign_up_in_chromium(page, email: str = "ada@example.com", name: str = "Ada", password: str = "correct horse battery") -> None:
    """Create an account through the sign-up form, as a person does; they are signed in after."""
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()

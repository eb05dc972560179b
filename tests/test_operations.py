"""Operations: health and readiness probes, structured logs, a fresh home folder."""

import json
import logging
import os
import stat

import httpx

from agora.app import create_app
from agora.config import Settings
from agora.observability import JsonFormatter, logging_config


def test_healthz_and_readyz(browser):
    assert browser.get("/healthz").json() == {"status": "ok"}
    ready = browser.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    from tests.conftest import LiveServer

    settings = Settings(home=tmp_path, secret_key="k" * 40, _env_file=None,
                        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    server = LiveServer(settings).start()
    try:
        response = httpx.get(f"{server.url}/readyz", timeout=10)
        assert response.status_code == 503 and response.json()["database"] == "unreachable"
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()


def test_json_log_lines(capsys):
    record = logging.LogRecord("agora.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world" and line["level"] == "info" and line["request_id"] == "abc"
    assert logging_config("json", "info")["formatters"]["default"] == {"()": JsonFormatter}


def test_secret_key_is_generated_once_and_private(tmp_path):
    settings = Settings(home=tmp_path / "home", _env_file=None)
    first = settings.resolved_secret_key()
    assert len(first) >= 40 and first == settings.resolved_secret_key()
    key_file = tmp_path / "home" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_default_database_is_sqlite_in_home(tmp_path):
    settings = Settings(home=tmp_path, _env_file=None)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path.resolve() / 'agora.db'}"
    app = create_app(settings)
    with app.state.database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

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


SLOW_WORKERS = """
import sys, time
if "--multiprocessing-fork" in sys.argv:  # a worker `agora serve` spawned, not the server itself
    time.sleep(8)
"""


def test_workers_that_start_slowly_on_a_loaded_machine_are_waited_for(tmp_path):
    """uvicorn pings each worker it spawns and kills one that has not answered in 5 s by default: on a
    loaded 2-core machine (load 19 seen here) a worker still importing the application never answered,
    and `agora serve` killed and respawned its workers forever without serving. Here each worker takes
    8 s before it can answer; the server must still become ready."""
    from tests.conftest import start_agora, stop_agora

    (tmp_path / "slow").mkdir()
    (tmp_path / "slow" / "sitecustomize.py").write_text(SLOW_WORKERS)
    path = os.pathsep.join(filter(None, [str(tmp_path / "slow"), os.environ.get("PYTHONPATH", "")]))
    process, url, log = start_agora(tmp_path, database_url=f"sqlite:///{tmp_path / 'agora.db'}", workers=2, environment={"PYTHONPATH": path})
    try:
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        assert "died" not in log.read_text()
    finally:
        stop_agora(process)

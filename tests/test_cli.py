"""The agora command, run as a user runs it: a real process, real exit codes and output."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from agora.accounts.models import User

AGORA = str(Path(sys.executable).parent / "agora")


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([AGORA, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def cli_env(server) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(
        AGORA_HOME=str(server.settings.home),
        AGORA_DATABASE_URL=server.settings.resolved_database_url(),
        AGORA_SECRET_KEY=server.settings.secret_key,
    )
    return env


def test_help_everywhere():
    top = run("--help")
    assert top.returncode == 0
    for command in ("serve", "migrate", "seed-demo", "create-user"):
        assert command in top.stdout
        sub = run(command, "--help")
        assert sub.returncode == 0 and "Usage: agora" in sub.stdout, command
    assert "--workers" in run("serve", "--help").stdout


def test_unknown_option_says_what_is_wrong():
    result = run("serve", "--wrokers", "2")
    assert result.returncode == 2
    assert "No such option '--wrokers'. Did you mean '--workers'?" in result.stderr


def test_create_user_then_log_in(cli_env, database, make_browser):
    created = run("create-user", "--email", "Root@Example.com", "--password", "a long admin password", "--name", "Root", "--admin", env=cli_env)
    assert created.returncode == 0, created.stderr
    assert "Created admin root@example.com" in created.stdout
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == "root@example.com"))
        assert user.role == "admin" and user.display_name == "Root"
    assert make_browser().login(email="root@example.com", password="a long admin password").status_code == 303


def test_create_user_refuses_bad_input_clearly(cli_env, database):
    short = run("create-user", "--email", "a@example.com", "--password", "short", env=cli_env)
    assert short.returncode == 2 and "Invalid value for '--password': Passwords need at least 10 characters." in short.stderr
    bad_email = run("create-user", "--email", "nope", "--password", "long enough pass", env=cli_env)
    assert bad_email.returncode == 2 and "Invalid value for '--email': Enter a valid email address" in bad_email.stderr
    plan = run("create-user", "--email", "a@example.com", "--password", "long enough pass", "--plan", "gold", env=cli_env)
    assert plan.returncode == 2 and "Invalid value for '--plan': Unknown plan 'gold'" in plan.stderr
    missing = run("create-user", "--email", "a@example.com", env=cli_env)
    assert missing.returncode == 2 and "Missing option '--password'" in missing.stderr
    with database.session() as session:
        assert session.scalar(select(User)) is None
    run("create-user", "--email", "a@example.com", "--password", "long enough pass", env=cli_env)
    duplicate = run("create-user", "--email", "a@example.com", "--password", "long enough pass", env=cli_env)
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr


def test_migrate_is_idempotent(cli_env):
    for _ in range(2):
        result = run("migrate", env=cli_env)
        assert result.returncode == 0 and "Database is at revision head" in result.stdout


def test_seed_demo_if_empty_and_progress(cli_env, database):
    first = run("seed-demo", "--if-empty", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "Seeding demo GPTs" in first.stderr and "Created 505 GPTs" in first.stdout
    again = run("seed-demo", "--if-empty", env=cli_env)
    assert "already has GPTs; not seeding" in again.stdout and "new week" not in again.stdout  # this week's picks exist


def test_serve_says_when_its_port_is_taken(cli_env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), env=cli_env)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_prune_avatars_lists_what_it_would_delete_and_deletes_it(cli_env, server):
    folder = server.settings.home / "uploads" / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    orphan = folder / ("ab" * 32 + ".webp")
    orphan.write_bytes(b"not used by any GPT")
    os.utime(orphan, (0, 0))  # uploaded long ago
    looked = run("gpts", "prune-avatars", "--dry-run", env=cli_env)
    assert looked.returncode == 0 and orphan.name in looked.stdout and "Would delete" in looked.stderr and orphan.exists()
    done = run("gpts", "prune-avatars", env=cli_env)
    assert done.returncode == 0 and "Deleted" in done.stderr and not orphan.exists()
    assert run("gpts", "prune-avatars", "--older-than-hours", "-1", env=cli_env).returncode == 2


def test_set_password_lets_someone_who_forgot_theirs_back_in(cli_env, server, database, browser, make_browser):
    browser.signup(email="ada@example.com")
    guesser = make_browser()
    for _ in range(server.settings.login_max_failures_per_email + 1):
        guesser.login(email="ada@example.com", password="what was it again")
    assert make_browser().login(email="ada@example.com", password="correct horse battery").status_code == 429  # locked out

    done = run("set-password", "--email", "Ada@Example.com", "--password", "a brand new password", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "Set a new password for ada@example.com" in done.stdout
    assert make_browser().login(email="ada@example.com", password="a brand new password").status_code == 303
    assert make_browser().login(email="ada@example.com", password="correct horse battery").status_code == 401


def test_set_password_refuses_bad_input_clearly(cli_env, database, browser):
    browser.signup(email="ada@example.com")
    nobody = run("set-password", "--email", "bo@example.com", "--password", "a brand new password", env=cli_env)
    assert nobody.returncode == 2 and "Invalid value for '--email': There is no account with the email bo@example.com." in nobody.stderr
    short = run("set-password", "--email", "ada@example.com", "--password", "short", env=cli_env)
    assert short.returncode == 2 and "Invalid value for '--password': Passwords need at least 10 characters." in short.stderr
    assert browser.login(email="ada@example.com", password="correct horse battery").status_code == 303  # unchanged

"""Usage metering: one idempotent event per finished reply, daily rollups, trending and export."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.db import utcnow
from agora.metering import batch, export
from agora.metering.models import DailyGptUsage, DailyGptUserUsage, UsageRecord
from agora.metering.writer import UsageWriter
from agora.store.models import Listing
from tests.metering.conftest import make_gpt, put_on_plan, send_status, signed_up
from tests.test_cli import cli_env, run  # noqa: F401 (fixture)


def test_replies_become_events_and_rollups_and_replays_never_double_count(upstream, database, make_browser):
    gpt_id = make_gpt(database)
    ada, bob = signed_up(make_browser, "ada@example.com"), signed_up(make_browser, "bob@example.com")
    put_on_plan(database, "bob@example.com", "plus")
    first = ada.start(gpt_id)
    for content in ("one", "two"):
        assert send_status(ada, first, content)[0] == 200
    assert send_status(ada, ada.start(gpt_id))[0] == 200
    assert send_status(bob, bob.start(gpt_id))[0] == 200

    with database.session() as session:
        events = session.scalars(select(UsageRecord).order_by(UsageRecord.id)).all()
        assert len(events) == 4
        ada_id = accounts.user_by_email(session, "ada@example.com").id
        builder_id = accounts.user_by_email(session, "builder@example.com").id
        assert {(e.plan_code, e.source, e.builder_id) for e in events} == {("plus", "web", builder_id)}  # ada: the trial is Plus
        assert all(e.idempotency_key == f"web:message:{e.message_id}" for e in events)
        assert events[0].workspace_id == accounts.personal_workspace_id(session, accounts.user_by_email(session, "ada@example.com"))
        day = session.get(DailyGptUsage, (utcnow().date(), gpt_id))
        assert (day.conversations, day.messages, day.users) == (3, 4, 2)
        assert day.prompt_tokens == sum(e.prompt_tokens for e in events) and day.completion_tokens == sum(e.completion_tokens for e in events)
        ada_day = session.get(DailyGptUserUsage, (utcnow().date(), gpt_id, ada_id))
        assert (ada_day.conversations, ada_day.messages) == (2, 3)
        assert session.scalar(select(Listing.conversations).where(Listing.gpt_id == gpt_id)) == 3
        trending = session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id))

        replay = {column: getattr(events[0], column) for column in batch.EVENT_COLUMNS}
        assert batch.ingest(session, [{**replay, "prompt_tokens": 5, "completion_tokens": 5}]) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 4
        assert session.get(DailyGptUsage, (utcnow().date(), gpt_id)).messages == 4
        assert session.scalar(select(Listing.trending).where(Listing.gpt_id == gpt_id)) == trending


def _base_model_event(user_id: int, **changes) -> dict:
    return {"user_id": user_id, "gpt_id": None, "gpt_version": None, "model": "base", "message_id": None, "status": "complete",
            "prompt_tokens": 3, "completion_tokens": 4, "latency_ms": 9, "source": "api", "idempotency_key": "api:chatcmpl-1",
            "created_at": utcnow(), **changes}


def test_api_usage_without_a_gpt_is_metered_once_per_key(database):
    with database.session() as session:
        user = accounts.create_user(session, email="dev@example.com", display_name="Dev", password=None)
        session.flush()
        user_id = user.id
    writer = UsageWriter(database, interval=3600)
    for _ in range(2):
        writer.submit(_base_model_event(user_id))
        writer.flush()
    with database.session() as session:
        event = session.scalars(select(UsageRecord)).one()
        assert (event.source, event.gpt_id, event.idempotency_key) == ("api", None, "api:chatcmpl-1")
        assert session.scalar(select(func.count()).select_from(DailyGptUsage)) == 0


def test_bad_usage_is_refused_before_it_is_queued(database):
    import pytest

    writer = UsageWriter(database, interval=3600)
    for bad, message in [({"prompt_tokens": -1}, "negative"), ({"source": "fax"}, "unknown usage source 'fax'")]:
        with pytest.raises(ValueError, match=message):
            writer.submit(_base_model_event(1, **bad))
    with pytest.raises(ValueError, match="without status"):
        writer.submit({k: v for k, v in _base_model_event(1).items() if k != "status"})
    writer.flush()
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 0


def test_usage_export_reproduces_the_metered_totals(upstream, database, make_browser, cli_env):
    gpt_id = make_gpt(database)
    ada = signed_up(make_browser, "ada@example.com")
    conversation = ada.start(gpt_id)
    for content in ("one", "two", "three"):
        assert send_status(ada, conversation, content)[0] == 200
    month = utcnow().strftime("%Y-%m")
    as_csv = run("usage", "export", "--month", month, env=cli_env)
    assert as_csv.returncode == 0, as_csv.stderr
    assert "Exported 3 usage events" in as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    as_jsonl = run("usage", "export", "--month", month, "--format", "jsonl", env=cli_env)
    lines = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    with database.session() as session:
        day = session.get(DailyGptUsage, (utcnow().date(), gpt_id))
        assert len(rows) == len(lines) == day.messages == 3
        assert sum(int(r["prompt_tokens"]) for r in rows) == sum(line["prompt_tokens"] for line in lines) == day.prompt_tokens
        assert sum(int(r["completion_tokens"]) for r in rows) == day.completion_tokens
    other = run("usage", "export", "--month", "2001-01", env=cli_env)
    assert other.returncode == 0 and other.stdout.strip() == ",".join(export.FIELDS)
    bad = run("usage", "export", "--month", "2026-13", env=cli_env)
    assert bad.returncode == 2 and "use YYYY-MM" in bad.stderr


def test_month_bounds_wrap_the_year():
    start, end = export.month_bounds("2026-12")
    assert (start.year, start.month, end.year, end.month) == (2026, 12, 2027, 1)

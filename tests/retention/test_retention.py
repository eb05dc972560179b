"""Conversation retention: expired conversations of a team's GPTs are deleted for real, none while
the team is on legal hold, every change and deletion audited; the page refuses bad input."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.audit import chain
from agora.audit.models import AuditEntry
from agora.chat import service as chat
from agora.chat.models import Conversation, Message
from agora.db import utcnow
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.retention import service as retention
from tests.conftest import AGORA
from tests.retention.conftest import put_on_plan, signed_up


def _team(database, make_browser, owner_email: str, name: str):
    owner = signed_up(make_browser, owner_email)
    team_id = owner.browser.post("/api/workspaces", json={"name": name}, headers=owner.headers).json()["id"]
    put_on_plan(database, owner_email, "team", seats=3)
    with database.session() as session:
        user = accounts.user_by_email(session, owner_email)
        gpt = gpts.create_gpt(session, owner=user, workspace_id=team_id, visibility="workspace",
                              content=GptContent(name=f"{name} bot", description="d", instructions="i", welcome_message="w"))
        gpts.publish(session, gpt, author=user)
        return owner, team_id, gpt.id


def _conversation(database, email: str, gpt_id: str, *, days_idle: int, shared: bool = False) -> str:
    with database.session() as session:
        conversation = chat.start(session, user=accounts.user_by_email(session, email), gpt_id=gpt_id)
        session.add_all([Message(conversation_id=conversation.id, role="user", content="secret plans"),
                         Message(conversation_id=conversation.id, role="assistant", content="noted")])
        conversation.updated_at = utcnow() - timedelta(days=days_idle)
        if shared:
            conversation.share_token, conversation.shared_upto = "t" * 32, 10**9
        return conversation.id


def _exists(database, conversation_id: str) -> tuple[bool, int]:
    with database.session() as session:
        return (session.get(Conversation, conversation_id) is not None,
                session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conversation_id)))


def _run_cli(database) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATABASE_URL=database.engine.url.render_as_string(hide_password=False), AGORA_SECRET_KEY="x" * 40)
    return subprocess.run([AGORA, "retention", "run"], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_expired_conversations_go_but_not_recent_ones_nor_any_under_legal_hold(no_trial, database, make_browser, server):
    acme, acme_id, acme_gpt = _team(database, make_browser, "owner@acme.example", "Acme")
    held, held_id, held_gpt = _team(database, make_browser, "owner@held.example", "Held")
    assert acme.browser.submit(f"/workspaces/{acme_id}/retention", {"days": "30"}).status_code == 303
    assert held.browser.submit(f"/workspaces/{held_id}/retention", {"days": "30", "legal_hold": "on", "hold_reason": "Case 42"}).status_code == 303
    assert "Case 42" in held.browser.get(f"/workspaces/{held_id}/retention").text

    expired = _conversation(database, "owner@acme.example", acme_gpt, days_idle=31, shared=True)
    recent = _conversation(database, "owner@acme.example", acme_gpt, days_idle=29)
    on_hold = _conversation(database, "owner@held.example", held_gpt, days_idle=400)
    assert server.app.state.database is database and acme.browser.get(f"/s/{'t' * 32}").status_code == 200

    run = _run_cli(database)
    assert run.returncode == 0 and run.stdout.startswith("1 expired conversations deleted"), run.stdout + run.stderr
    assert _exists(database, expired) == (False, 0)  # rows gone, messages with them
    assert _exists(database, recent) == (True, 2)
    assert _exists(database, on_hold) == (True, 2)
    assert acme.browser.get(f"/s/{'t' * 32}").status_code == 404  # its shared link went with it
    with database.session() as session:
        deleted = session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.deleted"))
        assert deleted.workspace_id == acme_id and deleted.details["conversations"] == 1 and deleted.details["messages"] == 2
        changes = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "retention.changed", AuditEntry.workspace_id == held_id)).all()
        assert changes == [{"from": {"days": None, "legal_hold": False}, "to": {"days": 30, "legal_hold": True, "reason": "Case 42"}}]
        assert chain.verify(session).broken is None

    assert retention.run(database, now=utcnow()) == 0  # nothing left: running again (another worker) deletes nothing
    assert held.browser.submit(f"/workspaces/{held_id}/retention", {"days": "30"}).status_code == 303  # the hold is lifted
    assert retention.run(database, now=utcnow()) == 1
    assert _exists(database, on_hold) == (False, 0)


def test_forever_keeps_everything_and_a_hold_set_meanwhile_wins(no_trial, database, make_browser):
    owner, team_id, gpt_id = _team(database, make_browser, "owner@acme.example", "Acme")
    old = _conversation(database, "owner@acme.example", gpt_id, days_idle=3000)
    assert retention.run(database, now=utcnow()) == 0  # no rule: forever
    assert owner.browser.submit(f"/workspaces/{team_id}/retention", {"days": "90"}).status_code == 303
    with database.session() as session:  # a hold set after the run read the rules, before it deleted
        user = accounts.user_by_email(session, "owner@acme.example")
        retention.set_rule(session, workspace_id=team_id, by=user, days=90, legal_hold=True)
    assert retention._delete_batch(database, team_id, 90, now=utcnow()) == 0
    assert _exists(database, old) == (True, 2)


def test_the_page_is_for_managers_and_refuses_bad_input(no_trial, database, make_browser):
    owner, team_id, _gpt = _team(database, make_browser, "owner@acme.example", "Acme")
    bad = owner.browser.submit(f"/workspaces/{team_id}/retention", {"days": "7"})
    assert bad.status_code == 422 and 'id="days-error"' in bad.text
    long = owner.browser.submit(f"/workspaces/{team_id}/retention", {"days": "30", "legal_hold": "on", "hold_reason": "x" * 501})
    assert long.status_code == 422 and 'id="hold_reason-error"' in long.text
    with database.session() as session:
        assert retention.rule_of(session, team_id) == retention.Rule(None, False, "")  # nothing half-written
    stranger = signed_up(make_browser, "eve@example.com")
    assert stranger.browser.get(f"/workspaces/{team_id}/retention").status_code == 404

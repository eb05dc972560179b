"""One entitlement check for pages, the JSON API and the chat runtime."""

from __future__ import annotations

from datetime import timedelta

from agora.accounts import service as accounts
from agora.chat.models import Message
from agora.db import utcnow
from sqlalchemy import select

from tests.billing.conftest import make_gpt, put_on_plan, send_status, signed_up


def test_free_user_is_refused_a_store_gpt_with_an_upgrade_path_while_plus_chats(no_trial, database, make_browser):
    gpt_id = make_gpt(database)  # by builder@example.com
    free, plus = signed_up(make_browser, "free@example.com"), signed_up(make_browser, "plus@example.com")
    put_on_plan(database, "plus@example.com", "plus")

    status, body = send_status(free, free.start(gpt_id))
    assert status == 403
    assert body["error"]["code"] == "plan_required" and body["error"]["plan"] == "plus" and body["error"]["upgrade_url"] == "/pricing"
    assert "Plus" in body["error"]["message"] and "Free" in body["error"]["message"]
    with database.session() as session:  # the refusal stored nothing
        assert session.scalar(select(Message.id).where(Message.role == "user")) is None

    status, events = send_status(plus, plus.start(gpt_id))
    assert status == 200 and events[-1][0] == "done" and events[-1][1]["status"] == "complete"


def test_free_user_chats_with_their_own_gpt(no_trial, database, make_browser):
    free = signed_up(make_browser, "maker@example.com")
    own = make_gpt(database, owner_email="maker@example.com", name="Mine")
    status, events = send_status(free, free.start(own))
    assert status == 200 and events[-1][1]["status"] == "complete"


def test_the_page_without_javascript_shows_the_refusal_and_the_pricing_link(no_trial, database, make_browser):
    gpt_id = make_gpt(database)
    free = signed_up(make_browser, "free@example.com")
    conversation_id = free.start(gpt_id)
    page = free.browser.submit(f"/c/{conversation_id}", {"content": "hi"}, form_page=f"/c/{conversation_id}")
    assert page.status_code == 403 and "needs the Plus plan" in page.text and "/pricing" in page.text


def test_sign_up_trial_is_plus_and_ends_cleanly_into_free(upstream, database, make_browser):
    gpt_id = make_gpt(database)
    trial = signed_up(make_browser, "new@example.com")
    assert trial.browser.get("/api/usage").json()["status"] == "trial"
    status, _events = send_status(trial, trial.start(gpt_id))
    assert status == 200
    with database.session() as session:  # fifteen days later
        accounts.user_by_email(session, "new@example.com").created_at = utcnow() - timedelta(days=15)
    usage = trial.browser.get("/api/usage").json()
    assert (usage["plan"], usage["status"]) == ("free", "free")
    status, body = send_status(trial, trial.start(gpt_id))
    assert status == 403 and body["error"]["code"] == "plan_required"


def test_demo_builders_without_password_get_no_trial(database):
    from agora.billing import entitlements
    from agora.config import Settings

    with database.session() as session:
        builder = accounts.create_user(session, email="demo@example.com", display_name="Demo", password=None)
        session.flush()
        assert entitlements.plan_in_force(session, builder, Settings(_env_file=None)).plan.code == "free"


def test_the_sign_up_trial_applies_once_and_never_comes_back_after_a_plan(browser, database):
    browser.signup()  # on the trial: Plus
    put_on_plan(database, "ada@example.com", "free")  # the operator ends it
    assert browser.get("/api/usage").json()["plan"] == "free"
    headers = browser.api_headers()
    assert browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).json()["plan"] == "plus"
    assert browser.post("/api/subscription/cancel?at_period_end=false", headers=headers).json()["status"] == "canceled"
    usage = browser.get("/api/usage").json()
    assert (usage["plan"], usage["status"]) == ("free", "free")  # not Plus again from a trial already ended


def test_subscribing_during_the_trial_ends_it(browser):
    browser.signup()
    headers = browser.api_headers()
    assert browser.post("/api/subscription", json={"plan": "plus"}, headers=headers).status_code == 200
    browser.post("/api/subscription/cancel?at_period_end=false", headers=headers)
    assert browser.get("/api/usage").json()["plan"] == "free"  # the trial was spent on the first plan

"""In real Chromium, desktop and phone: nothing on the page pretends to work (issue 20 item 9).
The editor shows no switch for capabilities that do not exist (web search and maps without a service; knowledge
and actions have sections of their own), and the lockout message links the password reset page, which says honestly when
this Agora cannot send mail (tests/accounts/test_password_reset_browser.py follows the link to a new password)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.gpts.models import Gpt
from tests.chat.conftest import make_gpt

pytestmark = pytest.mark.browser

WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


@WIDTHS
def test_the_editor_offers_only_capabilities_that_exist_and_keeps_stored_flags(page, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    with database.session() as session:
        accounts.create_user(session, email="ada@example.com", display_name="Ada", password="correct horse battery")
    gpt_id = make_gpt(database, name="Old Import", owner_email="ada@example.com")
    with database.session() as session:
        gpt = session.get(Gpt, gpt_id)
        gpt.draft = {**gpt.draft, "capabilities": {"web_search": True, "maps": False, "knowledge": False, "actions": False, "calculator": False}}
    page.goto("/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/gpts/{gpt_id}/edit")
    page.get_by_text("Model and capabilities").click()
    expect(page.get_by_label("Calculator")).to_be_visible()
    # No switch for them: web search and maps wait for the operator to name a service (none here), and knowledge and
    # actions have sections of their own (the Actions section is labelled "Actions": only checkboxes are meant).
    for absent in ("Web search", "Maps", "Actions", "Knowledge files"):
        expect(page.get_by_role("checkbox", name=absent, exact=True)).to_have_count(0)
    expect(page.get_by_text("Knowledge: add files in the Knowledge section below")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    with database.session() as session:  # a flag an import stored is carried, not silently dropped
        assert session.get(Gpt, gpt_id).draft["capabilities"]["web_search"] is True


@WIDTHS
def test_a_locked_out_person_is_pointed_to_the_reset_page_which_says_when_no_mail_can_go(page, server, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    with database.session() as session:
        accounts.create_user(session, email="ada@example.com", display_name="Ada", password="correct horse battery")
    for _ in range(server.settings.login_max_failures_per_email + 1):
        page.goto("/login")
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_label("Password").fill("what was it again")
        page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("Too many failed logins for this email")
    expect(alert).to_contain_text("Forgot your password? Reset it by email with the link below.")
    page.get_by_role("link", name="Reset your password by email").click()
    # This server has no mail server configured: the page says so instead of pretending to send.
    expect(page.get_by_role("alert")).to_contain_text("cannot email you a reset link. Ask your Agora administrator")
    expect(page.get_by_role("button", name="Email me a reset link")).to_have_count(0)

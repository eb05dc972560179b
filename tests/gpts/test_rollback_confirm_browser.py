"""In real Chromium, desktop and phone: rolling a GPT back asks first, naming the version; Cancel changes nothing (issue 20 item 7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent
from agora.gpts.models import Gpt
from tests.browser.layout import assert_fits_the_screen

pytestmark = pytest.mark.browser


def _gpt_with_two_versions(database) -> str:
    with database.session() as session:
        owner = accounts.create_user(session, email="builder@example.com", display_name="Builder", password="correct horse battery")
        content = GptContent(name="Tide Tables", description="Tides", instructions="Version one.")
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=content, visibility="public")
        gpts.publish(session, gpt, author=owner)
        gpt.draft = {**gpt.draft, "instructions": "Version two."}
        gpts.publish(session, gpt, author=owner, note="second")
        return gpt.id


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_rollback_asks_first_and_cancel_keeps_the_live_version(page, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    gpt_id = _gpt_with_two_versions(database)
    page.goto("/login")
    page.get_by_label("Email").fill("builder@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/gpts/{gpt_id}/versions")

    page.locator('tr[data-version="1"]').get_by_role("button", name="Roll back to this version").click()
    expect(page.get_by_role("heading", name="Roll Tide Tables back to version 1?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Versions of Tide Tables")).to_be_visible()
    expect(page.locator("tr[data-version]")).to_have_count(2)
    with database.session() as session:
        assert gpts.published_content(session, session.get(Gpt, gpt_id)).instructions == "Version two."

    page.locator('tr[data-version="1"]').get_by_role("button", name="Roll back to this version").click()
    page.get_by_role("button", name="Roll back to version 1").click()
    expect(page.get_by_role("status")).to_have_text("Rolled back: version 3 is live.")
    assert_fits_the_screen(page)


def test_asking_to_roll_back_to_the_live_or_a_missing_version_is_refused(page, database):
    gpt_id = _gpt_with_two_versions(database)
    page.goto("/login")
    page.get_by_label("Email").fill("builder@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    assert page.goto(f"/gpts/{gpt_id}/rollback?version=2").status == 404
    assert page.goto(f"/gpts/{gpt_id}/rollback?version=9").status == 404

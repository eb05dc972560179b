"""In real Chromium, desktop and phone: an invitation link is copied with a button, and the page it
opens names the team, who invited and as what (issue 20 item 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.billing.conftest import put_on_plan
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import sign_up_in_chromium

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_owner_copies_the_link_and_the_invitee_sees_which_team(chromium, server, database, width):
    owner = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 800})
    owner.grant_permissions(["clipboard-read", "clipboard-write"])
    page = owner.new_page()
    page.set_default_timeout(15_000)
    sign_up_in_chromium(page, email="ada@example.com", name="Ada Lovelace")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    team = page.request.post("/api/workspaces", data={"name": "Walrus Inc"}, headers={"X-CSRF-Token": token}).json()["id"]
    put_on_plan(database, "ada@example.com", "team", seats=3)

    page.goto(f"/workspaces/{team}")
    page.get_by_label("Invite by email").fill("bo@example.com")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.get_by_label("Invitation link").input_value()
    assert re.search(r"/invites/\S+$", link)
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_fits_the_screen(page)

    invitee = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 800})
    bo = invitee.new_page()
    bo.set_default_timeout(15_000)
    sign_up_in_chromium(bo, email="bo@example.com", name="Bo")
    bo.goto(link)
    expect(bo.get_by_role("heading", name="Join Walrus Inc")).to_be_visible()
    expect(bo.get_by_text("Ada Lovelace invited you to the team workspace Walrus Inc on Agora, as a member.")).to_be_visible()
    assert_fits_the_screen(bo)
    bo.get_by_role("button", name="Accept the invitation").click()
    expect(bo).to_have_url(re.compile(r"/workspaces$"))
    expect(bo.get_by_text("Walrus Inc").first).to_be_visible()
    owner.close()
    invitee.close()

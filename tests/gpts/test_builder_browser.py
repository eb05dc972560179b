"""A builder in real Chromium: create, publish, edit and publish again, roll back, see My GPTs."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sign_up(page):
    page.goto("/signup")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Display name").fill("Grace Hopper")
    page.get_by_label("Password").fill("nanoseconds and bugs")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()


def test_build_publish_edit_rollback_and_find_it_in_my_gpts(page):
    sign_up(page)
    page.get_by_role("link", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Create a GPT")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("COBOL Mentor")
    page.get_by_label("Short description", exact=True).fill("Explains legacy code kindly.")
    page.get_by_label("What should this GPT do? How should it behave?").fill("Explain COBOL step by step.")
    page.get_by_label("Conversation starters (up to 4)").first.fill("What is a PERFORM loop?")
    preview = page.locator(".builder-preview")
    expect(preview.get_by_text("COBOL Mentor")).to_be_visible()  # the live preview follows the form
    expect(preview.locator(".system-prompt")).to_have_text("Explain COBOL step by step.")
    expect(preview.get_by_text("What is a PERFORM loop?")).to_be_visible()

    page.get_by_label("Who can use it").select_option("public")
    page.get_by_label("Change note (shown in the version history)").fill("First release")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Published.")
    expect(page.get_by_text("Version 1 is live.")).to_be_visible()
    gpt_url = page.url

    # Unsaved edits: leaving through a page link asks first.
    page.get_by_label("What should this GPT do? How should it behave?").fill("Explain COBOL with analogies to Python.")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("link", name="Versions").click()
    expect(page).to_have_url(gpt_url)
    page.get_by_label("Change note (shown in the version history)").fill("Python analogies")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 is live.")).to_be_visible()

    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("heading", name="Versions of COBOL Mentor")).to_be_visible()
    expect(page.get_by_role("cell", name="Python analogies")).to_be_visible()
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Changes from version 1 to 2")).to_be_visible()
    expect(page.get_by_role("cell", name="Explain COBOL with analogies to Python.")).to_be_visible()
    page.go_back()

    page.locator('tr[data-version="1"]').get_by_role("button", name="Roll back to this version").click()
    page.get_by_role("button", name="Roll back to version 1").click()  # the confirmation step
    expect(page.get_by_role("status")).to_have_text("Rolled back: version 3 is live.")
    expect(page.locator('tr[data-version="3"]')).to_contain_text("Rolled back to version 1")

    page.get_by_role("link", name="My GPTs").first.click()
    row = page.locator("tr", has_text="COBOL Mentor")
    expect(row).to_contain_text("Published")
    expect(row.locator("td").nth(3)).to_have_text("3")
    expect(row).to_contain_text("Public")

    # The store page shows the rolled-back instructions, and search finds it.
    page.goto(gpt_url.replace("/edit", "").replace("/gpts/", "/g/"))
    page.get_by_text("Instructions", exact=True).click()
    expect(page.locator(".system-prompt")).to_have_text("Explain COBOL step by step.")
    page.get_by_label("Search the store").fill("cobol")
    page.get_by_label("Search the store").press("Enter")
    expect(page.get_by_role("link", name=re.compile("COBOL Mentor"))).to_be_visible()


def test_editor_errors_show_next_to_the_field_and_keep_what_was_typed(page):
    sign_up(page)
    page.goto("/gpts/new")
    page.get_by_label("Short description", exact=True).fill("No name yet")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#name-error")).to_contain_text("name is required")
    expect(page.get_by_label("Short description", exact=True)).to_have_value("No name yet")

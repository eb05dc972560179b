"""In real Chromium, desktop and phone: "Available in: Français" lists only GPTs that have French
texts; an empty French translation (every field blank) does not count (issue 20 item 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.gpts import service as gpts
from agora.gpts.content import GptContent, LocalizedText

pytestmark = pytest.mark.browser


def _publish(database, name: str, localized: dict) -> None:
    with database.session() as session:
        owner = accounts.user_by_email(session, "builder@example.com") or accounts.create_user(
            session, email="builder@example.com", display_name="Builder", password=None)
        content = GptContent(name=name, description=f"{name} helps", instructions="Help.", localized=localized)
        gpt = gpts.create_gpt(session, owner=owner, workspace_id=accounts.personal_workspace_id(session, owner), content=content, visibility="public")
        gpts.publish(session, gpt, author=owner)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_available_in_french_lists_only_gpts_written_in_french(page, database, width):
    page.set_viewport_size({"width": width, "height": 800})
    _publish(database, "English Only", {"fr": LocalizedText()})
    _publish(database, "Half Done", {"fr": LocalizedText(instructions="Aidez.")})  # no French name or description to show
    _publish(database, "Bilingual", {"fr": LocalizedText(name="Bilingue", description="Aide en français")})
    page.goto("/store/productivity")
    page.get_by_label("Available in").select_option("fr")
    expect(page).to_have_url(re.compile(r"lang=fr"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Bilingual")
    page.get_by_label("Available in").select_option("en")
    expect(page.locator(".card")).to_have_count(3)

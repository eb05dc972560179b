"""In real Chromium, desktop and a 390 px phone: a verified builder asks for their GPT to be featured, the
administrator finds the request in the picker's queue and picks it, and the front shows it; an unverified
builder is told what is missing, and the picker refuses their GPT. No page is wider than the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.store import featured
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import log_in_in_chromium
from tests.store.helpers import publish, verify_builder

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _log_in(context, email: str):
    return log_in_in_chromium(context, email, PASSWORD)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_verified_builder_is_featured_and_an_unverified_one_is_told_why(chromium, server, database, width):
    with database.session() as session:
        for email, name, role in [("ada@example.com", "Ada", "user"), ("eve@example.com", "Eve", "user"), ("root@example.com", "Root", "admin")]:
            accounts.create_user(session, email=email, display_name=name, password=PASSWORD, role=role)
    ada_gpt = publish(database, "Orbit Planner", owner_email="ada@example.com", description="Plans satellite passes with you")
    eve_gpt = publish(database, "Comet Catcher", owner_email="eve@example.com", description="Finds comets tonight")
    verify_builder(database, "ada@example.com")
    week = featured.week_label(*featured.current_week())
    contexts = []

    def context():
        made = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 800})
        contexts.append(made)
        return made

    try:
        ada = _log_in(context(), "ada@example.com")
        ada.goto("/gpts/mine")
        ada.locator(f"tr[data-gpt='{ada_gpt}']").get_by_role("link", name="Request to be featured").click()
        ada.get_by_label("Why would people like it? (optional)").fill("Tells you when the ISS flies over your garden")
        assert_fits_the_screen(ada)
        ada.get_by_role("button", name="Request to be featured").click()
        expect(ada.get_by_role("status")).to_have_text("Your request is in the administrators' queue.")
        expect(ada.locator("[data-featured-state=open]")).to_contain_text("waiting for the administrators")
        expect(ada.get_by_role("button", name="Request to be featured")).to_have_count(0)  # one open request at a time

        eve = _log_in(context(), "eve@example.com")
        eve.goto("/gpts/mine")
        eve.locator(f"tr[data-gpt='{eve_gpt}']").get_by_role("link", name="Request to be featured").click()
        expect(eve.locator("[data-problem=builder_not_verified]")).to_contain_text("Eve has not verified a website domain")
        expect(eve.get_by_role("link", name="Verify a domain")).to_have_attribute("href", "/account/builder")
        expect(eve.get_by_role("button", name="Request to be featured")).to_have_count(0)
        assert_fits_the_screen(eve)

        root = _log_in(context(), "root@example.com")
        root.goto("/admin/featured")
        request = root.locator(f"article[data-gpt='{ada_gpt}']")
        expect(request).to_contain_text("Tells you when the ISS flies over your garden")
        expect(request).to_contain_text("by Ada")
        expect(request).to_contain_text("No rating yet")
        assert_fits_the_screen(root)
        request.get_by_role("button", name="Feature it").click()
        expect(root.locator(f"li[data-pick='{ada_gpt}']")).to_contain_text("Orbit Planner")
        expect(root.get_by_text("No builder is waiting.")).to_be_visible()

        root.get_by_label("Name or builder").fill("comet")
        root.locator("#main").get_by_role("button", name="Search").click()
        result = root.locator(f"article[data-result='{eve_gpt}']")
        expect(result.locator("[data-cannot-pick]")).to_contain_text("has not verified a website domain")
        expect(result.get_by_role("button")).to_have_count(0)
        assert_fits_the_screen(root)
        root.locator("details.featured-by-id summary").click()
        root.get_by_label("GPT id or link").fill(f"{server.url}/g/{eve_gpt}")
        root.locator("details.featured-by-id").get_by_role("button", name="Feature it").click()
        expect(root.locator("#gpt_id-error")).to_contain_text("Eve has not verified a website domain")
        assert_fits_the_screen(root)

        visitor = context().new_page()
        visitor.goto("/")
        hero = visitor.locator("section.featured .hero-card")
        expect(hero).to_contain_text("Orbit Planner")
        expect(visitor.locator("section.featured")).not_to_contain_text("Comet Catcher")
        assert_fits_the_screen(visitor)

        ada.goto("/gpts/mine")
        expect(ada.locator(f"tr[data-gpt='{ada_gpt}'] [data-featured-link]")).to_have_text(re.compile(rf"Featured: week {week}"))
    finally:
        for made in contexts:
            made.close()

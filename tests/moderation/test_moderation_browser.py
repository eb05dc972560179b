"""In real Chromium, desktop and phone (issue 21's done-when): a clone of a demo GPT published by another user lands
in the queue flagged as a clone with the original linked; an impersonating name is flagged; three reports hide a
GPT; a builder appeals a rejection and a moderator reverses it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.demo import seed
from agora.demo.catalogue import entries
from agora.gpts.models import Gpt
from agora.moderation import clones
from tests.browser.layout import assert_fits_the_screen
from tests.conftest import log_in_in_chromium
from tests.moderation.conftest import make_moderator

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _log_in(context, email: str):
    return log_in_in_chromium(context, email, PASSWORD)


def _publish_in_editor(page, *, name: str, instructions: str) -> str:
    page.goto("/gpts/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Short description", exact=True).fill("Plans with you")
    page.get_by_label("What should this GPT do? How should it behave?").fill(instructions)
    page.get_by_label("Who can use it").select_option("public")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Published.")
    expect(page.locator("[data-review-state=pending]")).to_be_visible()  # the builder is told it waits
    return re.search(r"/gpts/(g-[A-Za-z0-9]+)/edit", page.url).group(1)


def _searchable(page, name: str) -> bool:
    items = page.request.get("/api/store/search", params={"q": name}).json()["items"]
    return any(item["name"] == name for item in items)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_clones_impersonation_reports_and_an_appeal(chromium, server, database, review_mode, width):
    demo = next(e for e in entries() if clones.signature(e.content.instructions) is not None and e.content.category == "productivity")
    seed._seed_batch(database, [demo], seed.SeedReport())  # the demo store's GPT, listed by seed-demo
    with database.session() as session:
        original = session.query(Gpt).filter(Gpt.source == demo.source).one()
        original_id, original_name = original.id, original.name
        for email, name in [("eve@example.com", "Eve"), ("mo@example.com", "Mo")] + [(f"r{n}@example.com", f"Reader {n}") for n in range(3)]:
            accounts.create_user(session, email=email, display_name=name, password=PASSWORD)
    make_moderator(database, "mo@example.com")
    contexts = []

    def context():
        made = chromium.new_context(base_url=server.url, locale="en-US", viewport={"width": width, "height": 800})
        contexts.append(made)
        return made

    try:
        assert _searchable(context().new_page(), original_name)
        eve = _log_in(context(), "eve@example.com")
        clone_id = _publish_in_editor(eve, name="Copycat Assistant", instructions=demo.content.instructions)
        fake_id = _publish_in_editor(eve, name="OpenAI Official Assistant", instructions="Answer questions about anything.")
        assert not _searchable(eve, "Copycat Assistant")

        mo = _log_in(context(), "mo@example.com")
        mo.goto("/moderation")
        clone_case = mo.locator(f"article[data-gpt='{clone_id}']")
        expect(clone_case.locator("[data-check=clone][data-result=flag]")).to_be_visible()
        expect(clone_case.locator(f"a[data-original='{original_id}']")).to_have_text(original_name)
        fake_case = mo.locator(f"article[data-gpt='{fake_id}']")
        expect(fake_case.locator("[data-check=impersonation][data-result=flag]")).to_contain_text("OpenAI")
        assert_fits_the_screen(mo)
        fake_case.get_by_label("Reason").select_option("impersonation")
        fake_case.get_by_label("Note to the builder").fill("Only OpenAI may call a GPT official OpenAI.")
        fake_case.get_by_role("button", name="Reject").click()
        expect(mo.locator(f"article[data-gpt='{fake_id}']")).to_have_count(0)

        eve.goto("/me/reviews")
        expect(eve.get_by_text("Only OpenAI may call a GPT official OpenAI.")).to_be_visible()
        assert_fits_the_screen(eve)
        eve.get_by_label("Appeal (once per decision)").fill("We are an OpenAI partner; here is the contract number.")
        eve.get_by_role("button", name="Send the appeal").click()
        expect(eve.get_by_text("a moderator will answer")).to_be_visible()

        mo.goto("/moderation")
        appeal = mo.locator("article[id^=appeal-]")
        expect(appeal).to_contain_text("We are an OpenAI partner")
        appeal.get_by_role("button", name="Reverse the decision").click()
        expect(mo.locator("article[id^=appeal-]")).to_have_count(0)
        assert _searchable(mo, "OpenAI Official Assistant")
        eve.goto("/me/reviews")
        expect(eve.get_by_text("the decision was reversed")).to_be_visible()

        for n in range(3):
            reader = _log_in(context(), f"r{n}@example.com")
            reader.goto(f"/g/{original_id}")
            reader.get_by_role("link", name="Report", exact=True).click()
            reader.get_by_label("What is wrong?").select_option("spam")
            reader.get_by_label("Anything the moderators should know (optional)").fill("Nothing but adverts")
            assert_fits_the_screen(reader)
            reader.get_by_role("button", name="Send the report").click()
            expect(reader.get_by_role("status")).to_have_text("Thank you: the moderators will look at it.")
            assert _searchable(reader, original_name) == (n < 2)
        mo.goto("/moderation")
        hidden = mo.locator(f"article[data-gpt='{original_id}']")
        expect(hidden).to_contain_text("Hidden by reports")
        expect(hidden).to_contain_text("Nothing but adverts")
    finally:
        for made in contexts:
            made.close()

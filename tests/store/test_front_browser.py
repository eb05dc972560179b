"""The store front like a store (issue 20 item 3), in real Chromium on a desktop and a 390 px phone:
category tabs, the week's first featured pick as a hero, numbered Top lists by the trending score,
cards with rating, conversations and builder, the numbers running on across a category's pages,
and the same in French. No page is wider than the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agora.accounts import service as accounts
from agora.store import featured, trending
from agora.store.models import Listing
from tests.browser.layout import assert_fits_the_screen
from tests.store.helpers import publish, verify_builder

pytestmark = pytest.mark.browser
WIDTHS = pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])


def _store(database) -> dict[str, str]:
    """Writing GPTs with different activity and ratings, one research GPT, and this week's pick."""
    ids = {name: publish(database, name, category="writing", owner_email=f"{name.split()[0].lower()}@example.com")
           for name in ("Quiet Quill", "Busy Pen", "Steady Ink")}
    ids["Data Digger"] = publish(database, "Data Digger", category="research")
    with database.session() as session:
        for name, conversations in (("Busy Pen", 1500), ("Steady Ink", 40), ("Data Digger", 12)):
            trending.add_activity(session, ids[name], day=trending.EPOCH, new_users=conversations // 2, new_conversations=conversations,
                                  messages=conversations * 5)
        busy = session.query(Listing).filter_by(gpt_id=ids["Busy Pen"]).one()
        busy.rating_sum, busy.rating_count = 45, 10
    verify_builder(database, "quiet@example.com")  # only verified builders' GPTs are featured
    with database.session() as session:
        admin = accounts.create_user(session, email="root@example.com", display_name="Root", password=None, role="admin")
        featured.pick(session, admin, gpt_id=ids["Quiet Quill"], year=featured.current_week()[0], week=featured.current_week()[1])
    return ids


@WIDTHS
def test_the_front_has_tabs_a_hero_and_numbered_top_lists(page, database, width):
    page.set_viewport_size({"width": width, "height": 900})
    _store(database)
    page.goto("/")
    tabs = page.get_by_role("navigation", name="Categories")
    expect(tabs.get_by_role("link", name="Top picks")).to_have_attribute("aria-current", "page")
    expect(tabs.get_by_role("link")).to_have_text(["Top picks", "Writing", "Research & Analysis"])

    hero = page.locator(".hero-card")
    expect(hero).to_contain_text("Quiet Quill")
    expect(hero).to_contain_text("By Quiet")
    expect(hero.get_by_text("Start chat")).to_be_visible()

    writing = page.locator("section", has=page.get_by_role("heading", name="Top in Writing"))
    expect(writing.locator(".rank")).to_have_text(["1", "2", "3"])
    expect(writing.locator(".card-name")).to_have_text(["Busy Pen", "Steady Ink", "Quiet Quill"])  # by the trending score
    first = writing.locator(".card").first
    expect(first.locator(".rating")).to_contain_text("★ 4.5 (10)")
    expect(first).to_contain_text("1K+ chats")
    expect(first).to_contain_text("By Busy")
    assert_fits_the_screen(page)

    tabs.get_by_role("link", name="Writing").click()
    expect(page).to_have_url(re.compile(r"/store/writing$"))
    expect(page.get_by_role("navigation", name="Categories").get_by_role("link", name="Writing")).to_have_attribute("aria-current", "page")
    expect(page.locator(".cards.ranked .rank")).to_have_text(["1", "2", "3"])
    assert_fits_the_screen(page)

    page.goto("/")
    page.locator(".hero-card").click()
    expect(page.get_by_role("heading", name="Quiet Quill", level=1)).to_be_visible()


@WIDTHS
def test_the_front_in_french(page, database, width):
    page.set_viewport_size({"width": width, "height": 900})
    _store(database)
    page.goto("/")
    page.get_by_label("Language").select_option("fr")
    tabs = page.get_by_role("navigation", name="Catégories")
    expect(tabs.get_by_role("link")).to_have_text(["Sélection", "Écriture", "Recherche et analyse"])
    expect(page.get_by_role("heading", name="Top Écriture")).to_be_visible()
    expect(page.locator(".hero-card")).to_contain_text("Démarrer une conversation")
    expect(page.get_by_role("heading", name="À la une cette semaine")).to_be_visible()
    assert_fits_the_screen(page)


@WIDTHS
def test_ranks_run_on_across_a_category_s_pages(page, database, width):
    page.set_viewport_size({"width": width, "height": 900})
    ids = [publish(database, f"Helper {n:02d}", category="programming") for n in range(30)]
    with database.session() as session:
        for n, gpt_id in enumerate(ids):  # Helper 29 trends most
            trending.add_activity(session, gpt_id, day=trending.EPOCH, new_users=n + 1, new_conversations=n + 1, messages=0)
    page.goto("/store/programming")
    ranks = page.locator(".cards.ranked .rank")
    expect(ranks).to_have_count(24)
    expect(ranks.first).to_have_text("1")
    expect(page.locator(".card-name").first).to_have_text("Helper 29")
    page.get_by_role("link", name="More").click()
    expect(ranks).to_have_text([str(n) for n in range(25, 31)])
    expect(page.locator(".card-name").last).to_have_text("Helper 00")
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Newest").click()  # other sorts are not a ranking: no numbers
    expect(page.locator(".card")).to_have_count(24)
    expect(page.locator(".rank")).to_have_count(0)

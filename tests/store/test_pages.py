"""Store pages: front, category pages with sorts and cursors, featured weeks, builders, admin."""

import re

from agora.accounts import service as accounts
from agora.store import featured, trending
from tests.store.helpers import publish, verify_builder


def names(html: str) -> list[str]:
    """The GPTs shown, in order: the hero's name, then the cards'."""
    return re.findall(r'<strong class="(?:card|hero)-name">([^<]+)</strong>', html)


def make_admin(database, make_browser):
    with database.session() as session:
        accounts.create_user(session, email="root@example.com", display_name="Root", password="a long admin password", role="admin")
    admin = make_browser()
    assert admin.login(email="root@example.com", password="a long admin password").status_code == 303
    return admin


def test_front_shows_featured_trending_and_shelves(database, make_browser):
    quiet = publish(database, "Quiet Helper", category="writing")
    busy = publish(database, "Busy Helper", category="writing")
    with database.session() as session:
        trending.add_activity(session, busy, day=trending.EPOCH, new_users=5, new_conversations=5, messages=20)
    verify_builder(database, "maker@example.com")  # only verified builders' GPTs are featured (tests/store/test_featured.py)
    admin = make_admin(database, make_browser)
    week = "{}-W{:02d}".format(*featured.current_week())
    assert admin.submit("/admin/featured", {"week": week, "gpt_id": f"/g/{quiet}"}, form_page="/admin/featured").status_code == 303
    page = make_browser().get("/").text
    featured_part = page.split('id="featured"')[1].split("</section>")[0]
    trending_part = page.split('id="trending"')[1].split("</section>")[0]
    assert names(featured_part) == ["Quiet Helper"] and 'class="hero-card"' in featured_part  # the first pick is the hero
    assert names(trending_part) == ["Busy Helper"]  # no activity, no trending
    writing = page.split('id="cat-writing"')[1].split("</section>")[0]
    assert ">Top in Writing</h2>" in writing and names(writing) == ["Busy Helper", "Quiet Helper"]  # by trending
    assert re.findall(r'<span class="rank">(\d+)</span>', writing) == ["1", "2"]
    assert re.search(r'<a href="/store/writing"\s*>Writing</a>', page.split('class="category-tabs"')[1].split("</nav>")[0])
    assert names(make_browser().get(f"/store/featured/{week}").text) == ["Quiet Helper"]
    assert make_browser().get("/store/featured/2026-W99").status_code == 404


def test_category_pages_sort_filter_and_page_without_repeats(database, browser):
    ids = [publish(database, f"Helper {n:02d}", category="programming") for n in range(30)]
    first = browser.get("/store/programming", params={"sort": "newest"}).text
    assert names(first)[:2] == ["Helper 29", "Helper 28"]
    seen = names(first)
    cursor = re.search(r"cursor=([\w-]+)", first).group(1)
    # Data changes between pages: a new GPT is published, an old one removed.
    publish(database, "Helper New", category="programming")
    second = browser.get("/store/programming", params={"sort": "newest", "cursor": cursor}).text
    seen += names(second)
    assert len(seen) == len(set(seen)) == 30 and "Helper New" not in seen
    assert browser.get("/store/programming", params={"sort": "loudest"}).status_code == 422
    assert browser.get("/store/programming", params={"cursor": "garbage!"}).status_code == 422
    assert "Helper 00" in browser.get("/store/programming", params={"lang": "en", "sort": "newest", "cursor": cursor}).text
    assert browser.get("/store/nope").status_code == 404
    assert len(ids) == 30


def test_search_page_and_builder_profile(database, make_browser):
    publish(database, "Résumé Polisher", owner_email="zoe@example.com", description="Makes CVs shine")
    visitor = make_browser()
    assert names(visitor.get("/search", params={"q": "resume"}).text) == ["Résumé Polisher"]
    assert "No GPT matches" in visitor.get("/search", params={"q": "qqqzzz"}).text
    profile = visitor.get("/builders/zoe").text
    assert "Zoe" in profile and names(profile) == ["Résumé Polisher"]
    assert visitor.get("/builders/nobody-here").status_code == 404


def test_admin_manages_categories(database, make_browser, browser):
    admin = make_admin(database, make_browser)
    created = admin.submit("/admin/categories", {"name_en": "Health", "name_fr": "Santé"}, form_page="/admin/categories")
    assert created.status_code == 303
    duplicate = admin.submit("/admin/categories", {"name_en": "Health", "name_fr": "Santé"}, form_page="/admin/categories")
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    categories = browser.get("/api/store/categories").json()
    assert categories[-1] == {"slug": "health", "name": "Health", "count": 0}
    health_id = re.search(r'action="/admin/categories/(\d+)"[^>]*>\s*<input[^>]*>\s*<input type="hidden" name="action" value="rename">\s*<label[^>]*>[^<]*</label><input id="en-\d+" name="name_en" value="Health"',
                          admin.get("/admin/categories").text).group(1)
    admin.submit(f"/admin/categories/{health_id}", {"action": "rename", "name_en": "Health & Care", "name_fr": "Santé"}, form_page="/admin/categories")
    admin.submit(f"/admin/categories/{health_id}", {"action": "up"}, form_page="/admin/categories")
    listed = browser.get("/api/store/categories").json()
    assert [c["name"] for c in listed][-2:] == ["Health & Care", "Games"]
    admin.submit(f"/admin/categories/{health_id}", {"action": "hide"}, form_page="/admin/categories")
    assert "health" not in [c["slug"] for c in browser.get("/api/store/categories").json()]
    assert browser.get("/store/health").status_code == 404

    browser.signup()
    assert browser.get("/admin/categories").status_code == 403
    refused = browser.submit("/admin/categories", {"name_en": "X", "name_fr": "X"}, form_page="/")
    assert refused.status_code == 403


def test_gpt_page_shows_each_conversation_starter_once(database, browser):
    gpt_id = publish(database, "Tax Helper", starters=["Explain VAT to me", "Is my bike deductible?"])
    page = browser.get(f"/g/{gpt_id}").text
    for starter in ("Explain VAT to me", "Is my bike deductible?"):
        # Once, as a button that starts the chat (it was also listed again below it).
        assert page.count(f">{starter}<") == 1
        assert f'name="starter" value="{starter}"' in page

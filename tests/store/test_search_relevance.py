"""Search on the demo catalogue finds what people mean, in English and French."""

import pytest

from agora.demo.acting import ACTING
from agora.demo.seed import seed_demo
from agora.store import listings


@pytest.fixture
def demo(database):
    seed_demo(database)
    with database.session() as session:
        listings.backfill(session)  # no-op once publishing lists GPTs itself
    return database


def names(browser, q, **params):
    response = browser.get("/api/store/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_relevance_on_the_demo_catalogue(demo, make_browser):
    english = make_browser(headers={"Accept-Language": "en"})
    assert names(english, "accountant")[0] == "Accounting Expert Assistant"
    assert names(english, "Accountant")[0] == "Accounting Expert Assistant"
    french = make_browser(headers={"Accept-Language": "fr"})
    assert names(french, "comptable")[0] == "Assistant Expert en Comptabilité"
    assert names(french, "comptabilité")[0] == "Assistant Expert en Comptabilité"
    # Accents and case never matter.
    assert names(english, "resume") and names(english, "resume") == names(english, "RÉSUMÉ")
    # Every word must match.
    assert names(english, "accountant zzzunknownword") == []


def test_search_pages_with_a_cursor_and_filters(demo, browser):
    first = browser.get("/api/store/search", params={"q": "assistant", "limit": 10}).json()
    assert len(first["items"]) == 10 and first["next_cursor"]
    second = browser.get("/api/store/search", params={"q": "assistant", "limit": 10, "cursor": first["next_cursor"]}).json()
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}

    programming = browser.get("/api/store/search", params={"q": "code", "category": "programming"}).json()["items"]
    assert programming and all(i["category"] == "programming" for i in programming)
    item = programming[0]
    assert set(item) == {"id", "name", "description", "avatar", "category", "builder", "rating", "rating_count", "conversations"}


def test_bad_search_parameters_are_named(demo, browser):
    cases = [({"sort": "loudest"}, "sort"), ({"category": "nope"}, "category"), ({"cursor": "!!!"}, "cursor"), ({"lang": "de"}, "lang"), ({"limit": 0}, "limit")]
    for params, field in cases:
        response = browser.get("/api/store/search", params={"q": "code", **params})
        assert response.status_code == 422 and response.json()["error"]["field"] == field, params


def test_suggest_completes_the_last_word(demo, make_browser):
    english = make_browser(headers={"Accept-Language": "en"})
    suggestions = english.get("/api/store/suggest", params={"q": "accou"}).json()
    assert 0 < len(suggestions) <= 8
    assert "Accounting Expert Assistant" in [s["name"] for s in suggestions]
    assert all(s["id"].startswith("g-") for s in suggestions)
    assert english.get("/api/store/suggest", params={"q": ""}).json() == []


def test_categories_list_counts(demo, make_browser):
    french = make_browser(headers={"Accept-Language": "fr"})
    categories = french.get("/api/store/categories").json()
    by_slug = {c["slug"]: c for c in categories}
    assert by_slug["programming"] == {"slug": "programming", "name": "Programmation", "count": 108}
    assert sum(c["count"] for c in categories) == 505 + len(ACTING)  # the catalogue and the GPTs that act


def test_query_operators_are_plain_words(demo, browser):
    for q in ['"', "a OR b", "NEAR(", "name:x", "*", "-", "'; DROP TABLE gpts; --"]:
        assert browser.get("/api/store/search", params={"q": q}).status_code == 200, q

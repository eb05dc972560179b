"""Type-ahead from the busiest GPTs' names in memory: what matches, and what never shows."""

from sqlalchemy import delete

from agora.store.models import Listing
from agora.store.query import parse
from agora.store.typeahead import Names
from tests.store.helpers import publish


def test_names_match_whole_words_and_the_last_one_as_a_prefix():
    names = Names([(1, "Tax Helper", ""), (2, "Résumé Polisher", "Correcteur de CV"), (3, "Taxi Finder", ""),
                   (4, "Helper for taxes", "")])
    assert names.match(parse("ta", prefix_last=True), 8) == [1, 3, 4]  # popularity (row) order
    assert names.match(parse("resu", prefix_last=True), 8) == [2]  # accents folded
    assert names.match(parse("correcteur c", prefix_last=True), 8) == [2]  # French names too
    assert names.match(parse("helper ta", prefix_last=True), 8) == [1, 4]
    assert names.match(parse("tax hel", prefix_last=True), 8) == [1]  # "tax" is a whole word there
    assert names.match(parse("ta", prefix_last=True), 2) == [1, 3]
    assert names.match(parse("zz", prefix_last=True), 8) == []


def test_suggestions_from_memory_never_show_a_gpt_that_left_the_store(database, browser):
    for n in range(10):
        publish(database, f"Zebrafish Helper {n}")
    first = browser.get("/api/store/suggest", params={"q": "zebraf"}).json()
    assert len(first) == 8 and all(s["name"].startswith("Zebrafish Helper") for s in first)
    gone = first[0]["id"]
    with database.session() as session:  # as another worker would: this one's names still hold it
        session.execute(delete(Listing).where(Listing.gpt_id == gone))
    again = browser.get("/api/store/suggest", params={"q": "zebraf"}).json()
    assert len(again) == 8 and gone not in [s["id"] for s in again]

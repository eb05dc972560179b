"""Store cards built in Python (store/cards.py): escaping, language, badge, rating, chats."""

from agora import i18n
from agora.store.cards import store_card, store_shelf
from agora.store.models import Listing


def _listing(**fields) -> Listing:
    values = dict(id=1, gpt_id="g_1", avatar="🤖", name="Tax <Helper>", name_fr="", description='Files "taxes" & more',
                  description_fr="", builder_name="<script>alert(1)</script>", builder_id=7, rating_sum=9,
                  rating_count=2, conversations=12_345)
    return Listing(**{**values, **fields})


def test_listing_text_is_escaped_and_the_card_shows_its_facts():
    html = str(store_card(_listing(), "en", {7}))
    assert "Tax &lt;Helper&gt;" in html and "Files &#34;taxes&#34; &amp; more" in html
    assert "<script>" not in html and "By &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="verified"' in html and "★ 4.5" in html and 'title="2 ratings"' in html and "10K+ chats" in html
    assert 'href="/g/g_1"' in html


def test_french_text_when_there_is_some_and_no_badge_rating_or_chats_when_none():
    token = i18n.current_language.set("fr")
    try:
        html = str(store_card(_listing(name_fr="Assistant fiscal", rating_count=0, conversations=3), "fr", set()))
    finally:
        i18n.current_language.reset(token)
    assert "Assistant fiscal" in html and "Files &#34;taxes&#34;" in html  # no French description: the English one
    assert 'class="verified"' not in html and "★" not in html and "chats" not in html and "Par " in html


def test_a_shelf_is_a_list_of_cards():
    html = str(store_shelf([_listing(id=1, gpt_id="g_1"), _listing(id=2, gpt_id="g_2")], "en", set()))
    assert html.startswith('<ul class="cards">') and html.count('<li class="card">') == 2 and html.endswith("</ul>")

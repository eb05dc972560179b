"""Text relevance of search candidates (store.relevance): what makes one match stronger."""

from agora.store.query import parse
from agora.store.relevance import IN_DESCRIPTION, Scorer


def scores(query: str, *candidates: tuple[str, str, str, str]) -> list[float]:
    """Candidates are (name, name_fr, tags, builder_name)."""
    return Scorer(parse(query).terms).scores(list(candidates))


def test_a_name_outweighs_tags_which_outweigh_a_description():
    in_name, in_tags, elsewhere = scores(
        "budget",
        ("Budget Planner", "", "money", "Ana"),
        ("Money Planner", "", "budget", "Ana"),
        ("Money Planner", "", "money", "Ana"),  # the index found "budget" in its description
    )
    assert in_name > in_tags > elsewhere == IN_DESCRIPTION


def test_stems_accents_and_capitals_match_as_the_index_does():
    stemmed, accented, french_stem = scores(
        "translations resume",
        ("Translation Helper", "", "résumé", "Ana"),
        ("Outil", "Traductions de CV", "TRANSLATION Résumé", "Ana"),
        ("Translating", "", "resumes", "Ana"),
    )
    assert min(stemmed, accented, french_stem) > 2 * IN_DESCRIPTION
    comptable, = scores("comptable", ("Expert", "Assistant comptable", "", "Ana"))
    assert comptable > IN_DESCRIPTION


def test_only_whole_words_or_their_stems_count():
    inside, short_stem, prefix_of_word = scores(
        "sign use",
        ("Design Studio", "", "designer", "Ana"),  # "sign" inside a word is no match
        ("User Guide", "", "users", "Ana"),  # "use" stems to "use", too short to match "user"
        ("Signing", "", "use", "Ana"),
    )
    assert inside == short_stem == 2 * IN_DESCRIPTION
    assert prefix_of_word > 2 * IN_DESCRIPTION


def test_a_shorter_name_holding_the_word_scores_higher():
    short, long = scores("chef", ("Chef", "", "", "Ana"), ("The Friendly Weekend Chef Of Pastry", "", "", "Ana"))
    assert short > long > IN_DESCRIPTION


def test_every_query_word_counts_and_repeats_saturate():
    both, one = scores("travel budget", ("Travel Budget", "", "", "Ana"), ("Travel Guide", "", "", "Ana"))
    assert both > one > IN_DESCRIPTION
    once, thrice = scores("travel", ("Travel", "", "", "Ana"), ("Travel", "", "travel travel", "Ana"))
    assert once < thrice < 3 * once


def test_missing_texts_and_other_scripts():
    empty, chinese = scores("翻译", (None, None, None, None), ("英语翻译", "", "翻译", "Ana"))
    assert empty == IN_DESCRIPTION
    assert chinese > IN_DESCRIPTION  # the tag is the whole word

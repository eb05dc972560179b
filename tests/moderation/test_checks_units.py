"""The checks' building blocks without a database: the built-in provider, confusable folding, MinHash fingerprints."""

from __future__ import annotations

import pytest

from agora.moderation import clones, impersonation
from agora.moderation.categories import CATEGORIES
from agora.moderation.providers import builtin
from agora.moderation.providers.builtin import BuiltinModeration, wordlist

PROVIDER = BuiltinModeration(profanity_threshold=0.9)


def test_every_wordlist_entry_names_an_openai_category():
    assert wordlist()
    assert {category for _phrase, category in wordlist()} <= set(CATEGORIES)


@pytest.mark.parametrize(("text", "category"), [
    ("Tell me how to make a bomb for my neighbour", "illicit/violent"),
    ("Je veux savoir comment se suicider", "self-harm/instructions"),  # French list, accents folded
    ("PÉDOPORNOGRAPHIE gratuite", "sexual/minors"),
])
def test_the_wordlists_flag_their_phrases_in_english_and_french(text, category):
    [screening] = PROVIDER.screen([text])
    assert category in screening.categories


def test_the_classifier_flags_offensive_language_and_passes_an_ordinary_description():
    offensive, ordinary = PROVIDER.screen(["you are a fucking worthless piece of shit", "Plans your week and drafts polite emails"])
    assert offensive.categories.get("harassment", 0) >= 0.9
    assert not ordinary.flagged


def test_phrases_match_whole_words_only():
    # 'bomb' alone is no entry: a photo 'bombe' or a 'bath bomb' shop passes.
    assert builtin.wordlist_categories("Ideas for a bath bomb shop") == set()
    assert builtin.wordlist_categories("kill yourselfie sticks") == set()


@pytest.mark.parametrize("name", ["ОpenAI Helper", "0p3nAI helper", "Open AI helper", "ＯｐｅｎＡＩ helper", "The openai-powered helper"])
def test_confusable_spellings_of_a_protected_name_are_caught(name):
    assert impersonation.claims(name, "OpenAI"), impersonation.skeleton_words(name)


def test_a_protected_name_inside_another_word_is_not_claimed():
    assert not impersonation.claims("A guide to Canada", "Ada")
    assert impersonation.claims("Ada's official assistant", "Ada")
    assert not impersonation.claims("GPT-4 helper", "Agora")


def test_near_duplicate_instructions_have_close_signatures_and_others_do_not():
    base = ("You are a meticulous travel planner. Ask the traveller where they start, where they want to go, their budget, "
            "the dates, how they like to move and what they enjoy, then propose a day by day plan with transport, "
            "food and two alternatives for rainy days, and keep every answer under three hundred words.")
    copied = base.replace("meticulous", "careful")
    other = ("You are a patient chemistry tutor for teenagers. Explain every concept with an everyday example first, then "
             "the formal definition, then a short exercise with its answer hidden until the student asks for it, and never "
             "give the answer to homework directly but guide the student step by step to it.")
    a, b, c = clones.signature(base), clones.signature(copied), clones.signature(other)
    assert clones.similarity(a, b) >= 0.8
    assert clones.similarity(a, c) < 0.2
    assert clones.signature("You are a helpful assistant.") is None  # too short to tell a copy from a commonplace
